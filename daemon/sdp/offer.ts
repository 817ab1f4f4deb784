/**
 * Our offers (RFC 3264 5): initial, and new ones on re-INVITE (8: same o= session id, version + 1),
 * including hold (8.4: sendonly / inactive).
 */
import { write, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { isIP } from 'node:net';
import { holdDirection } from './direction.js';
import { localFormats, writeFormats } from './media-format.js';
import type { Direction, LocalMediaOptions, LocalOffer, OfferedFormat, SdpSessionId } from './types.js';
import { PortierError } from '../util/errors.js';

/** A random numeric session id (RFC 4566 5.2 suggests an NTP timestamp; any unique number will do). */
function newSessionId(): string {
  return String(Math.floor(Math.random() * 9e15) + 1e15);
}

export function makeSession(
  s: Partial<SdpSessionId> | undefined,
  id?: string | number,
  version?: number,
): SdpSessionId {
  return {
    username: s?.username ?? '-',
    id: s?.id ?? (id !== undefined ? String(id) : newSessionId()),
    version: s?.version ?? version ?? 1,
  };
}

function ipVer(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}

/** Our own options are config, not network input: an unusable one is a programming/config error. */
export function checkLocal(opts: LocalMediaOptions): void {
  if (!isIP(opts.address)) throw new PortierError('MEDIA_ERROR', `The local media address "${opts.address}" is not an IP address.`);
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new PortierError('MEDIA_ERROR', `The local RTP port ${opts.port} is out of range.`);
  }
}

/** Write a full description with one audio stream (or a rejected one at port 0). */
export function writeDescription(
  session: SdpSessionId,
  opts: LocalMediaOptions,
  formats: OfferedFormat[],
  direction: Direction,
  extraMedia: MediaDescription[] = [],
  audioIndex = 0,
): string {
  const v = ipVer(opts.address);
  const { rtp, fmtp } = writeFormats(formats, opts);
  const audio: MediaDescription = {
    type: 'audio',
    port: opts.port,
    protocol: 'RTP/AVP',
    payloads: formats.map((f) => f.payloadType).join(' '),
    rtp,
    fmtp,
    direction,
  };
  if (opts.port !== 0) {
    audio.ptime = opts.ptime ?? 20;
    if (opts.rtcpPort !== undefined && opts.rtcpPort !== opts.port + 1) audio.rtcp = { port: opts.rtcpPort };
  }
  const media = [...extraMedia];
  media.splice(audioIndex, 0, audio);
  const desc: SessionDescription = {
    version: 0,
    origin: { username: session.username, sessionId: session.id, sessionVersion: session.version, netType: 'IN', ipVer: v, address: opts.address },
    name: 'portier',
    connection: { version: v, ip: opts.address },
    timing: { start: 0, stop: 0 },
    media,
  };
  return write(desc);
}

/** An initial offer with our codecs in preference order and telephone-event per codec clock. */
export function createOffer(opts: LocalMediaOptions): LocalOffer {
  checkLocal(opts);
  const session = makeSession(opts.session, opts.sessionId, opts.sessionVersion);
  const formats = localFormats(opts);
  if (!formats.some((f) => f.kind !== 'telephone-event')) {
    throw new PortierError('MEDIA_ERROR', `No usable codec configured (got: ${opts.codecs.join(', ') || 'none'}).`);
  }
  const direction = opts.direction ?? 'sendrecv';
  return { sdp: writeDescription(session, opts, formats, direction), session, options: opts, formats, direction };
}

/**
 * A new offer in the same session (re-INVITE, RFC 3264 8): o= version + 1, optionally with a new
 * direction, address or port.
 */
export function nextOffer(prev: LocalOffer | { session: SdpSessionId; options: LocalMediaOptions }, changes: Partial<LocalMediaOptions> = {}): LocalOffer {
  const options: LocalMediaOptions = { ...prev.options, ...changes };
  checkLocal(options);
  const session: SdpSessionId = { ...prev.session, version: prev.session.version + 1 };
  const formats = localFormats(options);
  const direction = options.direction ?? 'sendrecv';
  return { sdp: writeDescription(session, options, formats, direction), session, options, formats, direction };
}

/** Put the peer on hold (RFC 3264 8.4): sendonly when we were sending, else inactive. */
export function holdOffer(prev: LocalOffer): LocalOffer {
  return nextOffer(prev, { direction: holdDirection(prev.direction) });
}

/** Take the peer off hold with the given direction (default sendrecv). */
export function resumeOffer(prev: LocalOffer, direction: Direction = 'sendrecv'): LocalOffer {
  return nextOffer(prev, { direction });
}
