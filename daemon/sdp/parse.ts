/**
 * Reading SDP from the network without ever throwing (architecture rule 3): sdp-transform parses,
 * then we check the structure RFC 4566 requires and that we rely on.
 */
import { isIP } from 'node:net';
import { parse, type MediaDescription, type SessionDescription } from 'sdp-transform';
import type { SdpFailure } from './types.js';

/** Bodies bigger than this are not a phone's SDP. */
const MAX_SDP_BYTES = 64 * 1024;

export type ParsedSdp = { ok: true; desc: SessionDescription } | SdpFailure;

export function fail(code: SdpFailure['code'], reason: string, status: 400 | 488 = 488, sdp?: string): SdpFailure {
  return sdp === undefined ? { ok: false, code, reason, status } : { ok: false, code, reason, status, sdp };
}

export function safeParse(text: unknown): ParsedSdp {
  if (typeof text !== 'string') return fail('SDP_PARSE', 'the SDP body is not text', 400);
  if (text.length > MAX_SDP_BYTES) return fail('SDP_PARSE', `the SDP body is larger than ${MAX_SDP_BYTES} bytes`, 400);
  const body = text.replace(/^\uFEFF/, '').trimStart();
  if (!/^v=0\s*(\r?\n|$)/.test(body)) return fail('SDP_PARSE', 'the SDP does not start with v=0 (RFC 4566 5)', 400);
  let desc: SessionDescription;
  try {
    desc = parse(body);
  } catch (err) {
    return fail('SDP_PARSE', `the SDP could not be parsed: ${String(err)}`, 400);
  }
  if (!desc || typeof desc !== 'object') return fail('SDP_PARSE', 'the SDP could not be parsed', 400);
  if (!desc.origin || typeof desc.origin !== 'object') return fail('SDP_PARSE', 'the SDP has no valid o= line (RFC 4566 5.2)', 400);
  if (!Array.isArray(desc.media) || desc.media.length === 0) return fail('SDP_NO_AUDIO', 'the SDP has no m= line', 488);
  for (const [i, m] of desc.media.entries()) {
    if (typeof m.type !== 'string' || !Number.isInteger(m.port) || m.port < 0 || m.port > 65535 || typeof m.protocol !== 'string') {
      return fail('SDP_PARSE', `m= line ${i + 1} is malformed (RFC 4566 5.14)`, 400);
    }
  }
  return { ok: true, desc };
}

/** The connection address of a stream: its own c= line, else the session's (RFC 4566 5.7). */
export function connectionAddress(desc: SessionDescription, media: MediaDescription): string | undefined {
  const c = media.connection ?? desc.connection;
  return c && typeof c.ip === 'string' ? c.ip.split('/')[0] : undefined;
}

/** An IPv4 or IPv6 literal (host names in c= are not resolved by the media layer). */
export function isIpLiteral(addr: string | undefined): addr is string {
  return typeof addr === 'string' && isIP(addr) !== 0;
}

/** RTP profiles we can carry: plain AVP, and AVPF (its feedback is simply not used). */
export function isPlainRtp(protocol: string): boolean {
  const p = protocol.toUpperCase();
  return p === 'RTP/AVP' || p === 'RTP/AVPF';
}
