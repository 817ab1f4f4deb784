/**
 * Payload formats in SDP: what we write for each codec (a=rtpmap, a=fmtp) and how we read a peer's
 * m= line format list back into codecs (RFC 3551 static types, RFC 7587 Opus, RFC 4733 events).
 */
import type { MediaAttributes } from 'sdp-transform';
import { CODECS, isCodecName } from '../media/codecs/codec-table.js';
import type { CodecName } from '../media/types.js';
import type { LocalMediaOptions, OfferedFormat } from './types.js';

export const DEFAULT_PT = { opus: 111, telephoneEvent8000: 101, telephoneEvent48000: 110 } as const;

/** One format from a peer's m= line, resolved. */
export interface RemoteFormat {
  payloadType: number;
  /** a codec we know, 'telephone-event', or null for anything else */
  kind: CodecName | 'telephone-event' | null;
  encodingName: string;
  clockRate: number;
  channels: number;
  fmtp: Record<string, string>;
  /** the peer wrote G722/16000 (normalised to 8000, RFC 3551 4.5.2) */
  g722Rate16000?: boolean;
}

/** Parse "a=1;b=2" / "0-16" into a map (a bare value gets the key ""). */
export function parseFmtp(config: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!config) return out;
  for (const part of config.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) out[''] = p;
    else out[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
  }
  return out;
}

/** Static payload types RFC 3551 6 assigns to the codecs we speak (used when a=rtpmap is absent). */
const STATIC: Record<number, CodecName> = { 0: 'pcmu', 8: 'pcma', 9: 'g722' };

/** The payload types of a m= line, in order, resolved against its a=rtpmap / a=fmtp lines. */
export function remoteFormats(media: { payloads?: string | number } & Partial<MediaAttributes>): RemoteFormat[] {
  const list = String(media.payloads ?? '')
    .trim()
    .split(/\s+/)
    .filter((s) => /^\d{1,3}$/.test(s))
    .map(Number)
    .filter((pt) => pt <= 127);
  const rtp = Array.isArray(media.rtp) ? media.rtp : [];
  const fmtp = Array.isArray(media.fmtp) ? media.fmtp : [];
  const out: RemoteFormat[] = [];
  for (const pt of list) {
    const map = rtp.find((r) => r.payload === pt);
    const params = parseFmtp(fmtp.find((f) => f.payload === pt)?.config);
    if (!map) {
      const name = STATIC[pt];
      out.push(
        name
          ? { payloadType: pt, kind: name, encodingName: CODECS[name].encodingName, clockRate: CODECS[name].clockRate, channels: 1, fmtp: params }
          : { payloadType: pt, kind: null, encodingName: '', clockRate: 0, channels: 1, fmtp: params },
      );
      continue;
    }
    const enc = String(map.codec ?? '').toLowerCase();
    const rate = Number(map.rate ?? 0);
    const channels = Number(map.encoding ?? 1) || 1;
    const kind = classify(enc, rate, channels);
    const f: RemoteFormat = { payloadType: pt, kind, encodingName: String(map.codec), clockRate: rate, channels, fmtp: params };
    if (kind === 'g722' && rate === 16000) {
      f.clockRate = 8000;
      f.g722Rate16000 = true;
    }
    out.push(f);
  }
  return out;
}

function classify(enc: string, rate: number, channels: number): RemoteFormat['kind'] {
  if (enc === 'telephone-event' && rate > 0) return 'telephone-event';
  if (enc === 'pcmu' && rate === 8000 && channels === 1) return 'pcmu';
  if (enc === 'pcma' && rate === 8000 && channels === 1) return 'pcma';
  // RFC 3551 4.5.2: G722/8000 although it samples at 16 kHz; some phones write 16000
  if (enc === 'g722' && (rate === 8000 || rate === 16000) && channels === 1) return 'g722';
  // RFC 7587 7: opus/48000/2 always; be lenient about a missing or /1 channel count
  if (enc === 'opus' && rate === 48000) return 'opus';
  return null;
}

/** The formats we put in our own offer, in preference order, then telephone-event per clock rate. */
export function localFormats(opts: LocalMediaOptions): OfferedFormat[] {
  const pts = { ...DEFAULT_PT, ...(opts.payloadTypes ?? {}) };
  const out: OfferedFormat[] = [];
  const seen = new Set<string>();
  for (const name of opts.codecs) {
    if (!isCodecName(name) || seen.has(name)) continue;
    seen.add(name);
    const info = CODECS[name];
    out.push({ payloadType: name === 'opus' ? pts.opus : info.payloadType, kind: name, clockRate: info.clockRate, channels: info.channels });
  }
  if (opts.telephoneEvent !== false) {
    const rates = new Set(out.map((f) => f.clockRate));
    // telephone-event/8000 always: phones and PBXes that do Opus often have events only at 8000 Hz
    // (baresip 1.0, Asterisk), and a door code must get through whatever the codec
    out.push({ payloadType: pts.telephoneEvent8000, kind: 'telephone-event', clockRate: 8000, channels: 1 });
    if (rates.has(48000)) out.push({ payloadType: pts.telephoneEvent48000, kind: 'telephone-event', clockRate: 48000, channels: 1 });
  }
  return out;
}

/** a=rtpmap and a=fmtp entries for our formats. */
export function writeFormats(formats: OfferedFormat[], opts: LocalMediaOptions): Pick<MediaAttributes, 'rtp' | 'fmtp'> {
  const rtp: MediaAttributes['rtp'] = [];
  const fmtp: MediaAttributes['fmtp'] = [];
  for (const f of formats) {
    if (f.kind === 'telephone-event') {
      rtp.push({ payload: f.payloadType, codec: 'telephone-event', rate: f.clockRate });
      fmtp.push({ payload: f.payloadType, config: '0-16' });
      continue;
    }
    const info = CODECS[f.kind];
    if (f.kind === 'opus') {
      rtp.push({ payload: f.payloadType, codec: 'opus', rate: 48000, encoding: 2 });
      const o = opts.opus ?? {};
      const parts = [`useinbandfec=${o.useInbandFec === false ? 0 : 1}`, `maxplaybackrate=${o.maxPlaybackRate ?? 16000}`];
      fmtp.push({ payload: f.payloadType, config: parts.join(';') });
    } else {
      rtp.push({ payload: f.payloadType, codec: info.encodingName, rate: info.clockRate });
    }
  }
  return { rtp, fmtp };
}
