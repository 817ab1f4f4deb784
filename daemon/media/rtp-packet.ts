/**
 * RTP fixed header, parse and serialize (RFC 3550 5.1).
 *
 * parseRtp() never throws: bad bytes come back as `{ ok: false, reason }` so the receive path can
 * drop and count them (architecture rule 3). Header extensions (RFC 3550 5.3.1, RFC 8285) are
 * skipped, not rejected. The payload is a subarray of the input: no copy.
 */

export const RTP_HEADER_SIZE = 12;

export interface RtpHeader {
  marker: boolean;
  payloadType: number; // 7 bits
  seq: number; // 16 bits
  timestamp: number; // 32 bits, unsigned
  ssrc: number; // 32 bits, unsigned
  csrcs?: number[];
}

export interface RtpPacket extends RtpHeader {
  padding: boolean;
  csrcs: number[];
  /** profile-defined 16 bits of the header extension, when X was set */
  extensionProfile?: number;
  /** extension body (without its 4-byte header), a subarray of the input */
  extension?: Uint8Array;
  /** payload without padding, a subarray of the input */
  payload: Uint8Array;
}

export type RtpParseError =
  | 'too-short'
  | 'bad-version'
  | 'csrc-past-end'
  | 'extension-past-end'
  | 'padding-past-end'
  | 'looks-like-rtcp';

export type RtpParseResult = { ok: true; packet: RtpPacket } | { ok: false; reason: RtpParseError };

/**
 * RFC 5761 4: with rtcp-mux, RTCP packet types 200-204 (SR, RR, SDES, BYE, APP) and 192-223 in
 * general sit where RTP has M+PT; RTP payload types 64-95 are therefore not used. True when the
 * second byte says "RTCP".
 */
export function looksLikeRtcp(buf: Uint8Array): boolean {
  if (buf.length < 2) return false;
  const pt = buf[1];
  return pt >= 192 && pt <= 223;
}

export function parseRtp(buf: Uint8Array): RtpParseResult {
  const len = buf.length;
  if (len < RTP_HEADER_SIZE) return { ok: false, reason: 'too-short' };
  const b0 = buf[0];
  // RFC 3550 5.1: version (V) is 2.
  if (b0 >> 6 !== 2) return { ok: false, reason: 'bad-version' };
  if (looksLikeRtcp(buf)) return { ok: false, reason: 'looks-like-rtcp' };
  const padding = (b0 & 0x20) !== 0;
  const hasExt = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  const b1 = buf[1];
  let off = RTP_HEADER_SIZE + cc * 4;
  if (off > len) return { ok: false, reason: 'csrc-past-end' };
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++) csrcs.push(readU32(buf, RTP_HEADER_SIZE + i * 4));

  let extensionProfile: number | undefined;
  let extension: Uint8Array | undefined;
  if (hasExt) {
    // RFC 3550 5.3.1: 16-bit profile field, 16-bit length in 32-bit words excluding this header.
    if (off + 4 > len) return { ok: false, reason: 'extension-past-end' };
    extensionProfile = (buf[off] << 8) | buf[off + 1];
    const words = (buf[off + 2] << 8) | buf[off + 3];
    const end = off + 4 + words * 4;
    if (end > len) return { ok: false, reason: 'extension-past-end' };
    extension = buf.subarray(off + 4, end);
    off = end;
  }

  let payloadEnd = len;
  if (padding) {
    // RFC 3550 5.1: the last octet of the padding holds how many padding octets to ignore,
    // itself included; a count of zero or past the header is invalid (A.1 validity checks).
    const count = buf[len - 1];
    if (count === 0 || off + count > len) return { ok: false, reason: 'padding-past-end' };
    payloadEnd = len - count;
  }

  return {
    ok: true,
    packet: {
      marker: (b1 & 0x80) !== 0,
      payloadType: b1 & 0x7f,
      seq: (buf[2] << 8) | buf[3],
      timestamp: readU32(buf, 4),
      ssrc: readU32(buf, 8),
      padding,
      csrcs,
      extensionProfile,
      extension,
      payload: buf.subarray(off, payloadEnd),
    },
  };
}

/** Serialize header + payload into one new buffer (no padding, no extension). */
export function serializeRtp(header: RtpHeader, payload: Uint8Array): Uint8Array {
  const csrcs = header.csrcs ?? [];
  const cc = Math.min(csrcs.length, 15);
  const hlen = RTP_HEADER_SIZE + cc * 4;
  const out = new Uint8Array(hlen + payload.length);
  out[0] = 0x80 | cc;
  out[1] = (header.marker ? 0x80 : 0) | (header.payloadType & 0x7f);
  out[2] = (header.seq >> 8) & 0xff;
  out[3] = header.seq & 0xff;
  writeU32(out, 4, header.timestamp);
  writeU32(out, 8, header.ssrc);
  for (let i = 0; i < cc; i++) writeU32(out, RTP_HEADER_SIZE + i * 4, csrcs[i]);
  out.set(payload, hlen);
  return out;
}

export function readU32(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

export function writeU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 24) & 0xff;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}
