/**
 * Answering an offer (RFC 3264 6): one audio stream accepted with one codec (+ telephone-event),
 * every other stream rejected with port 0, or the whole offer rejected with a reason (488).
 */
import { write, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { isIP } from 'node:net';
import type { CodecName } from '../media/types.js';
import { answerDirection, parseDirection } from './direction.js';
import { chooseCodec, chooseTelephoneEvent, negotiated, noteEventClockMismatch, pickAudio, remoteFormats } from './negotiate.js';
import { checkLocal, makeSession, writeDescription } from './offer.js';
import { fail, safeParse } from './parse.js';
import type { CreateAnswerResult, LocalMediaOptions, OfferedFormat, SdpSessionId } from './types.js';

/** A stream of the offer turned down in the answer: same type, proto and formats, port 0 (RFC 3264 6). */
function rejected(m: MediaDescription): MediaDescription {
  return { type: m.type, port: 0, protocol: m.protocol, payloads: m.payloads ?? '0', rtp: [], fmtp: [] };
}

/** An answer rejecting every stream, for a 488 body or a 200 that declines the media. */
function rejectAll(desc: SessionDescription, opts: LocalMediaOptions, session: SdpSessionId): string {
  const v = isIP(opts.address) === 6 ? 6 : 4;
  return write({
    version: 0,
    origin: { username: session.username, sessionId: session.id, sessionVersion: session.version, netType: 'IN', ipVer: v, address: opts.address },
    name: 'portier',
    connection: { version: v, ip: opts.address },
    timing: { start: 0, stop: 0 },
    media: desc.media.map(rejected),
  });
}

/**
 * Answer `offerSdp` (throws a PortierError only for unusable local options). `previous` is the o= identity of our last description in this dialog (a
 * re-INVITE): the answer keeps its id and increments its version (RFC 3264 8).
 * Never throws on bad input: a failure carries the reason, the SIP status and, when possible,
 * an all-rejecting SDP.
 */
export function createAnswer(offerSdp: string, opts: LocalMediaOptions, previous?: SdpSessionId): CreateAnswerResult {
  // our own address/port come from config: a bad one is a PortierError, not a network failure
  checkLocal(opts);
  const parsed = safeParse(offerSdp);
  if (!parsed.ok) return parsed;
  const { desc } = parsed;
  const session = previous ? { ...previous, version: previous.version + 1 } : makeSession(opts.session, opts.sessionId, opts.sessionVersion);

  const pick = pickAudio(desc);
  if ('reason' in pick) return fail('SDP_NO_AUDIO', pick.reason, 488, rejectAll(desc, opts, session));

  const formats = remoteFormats(pick.media);
  const codec = chooseCodec(formats, opts.codecs);
  if (!codec || codec.kind === null || codec.kind === 'telephone-event') {
    const offered = formats.map((f) => f.encodingName || String(f.payloadType)).join(', ');
    return fail(
      'SDP_NO_COMMON_CODEC',
      `no common codec: the offer has ${offered || 'no formats'}, we speak ${opts.codecs.join(', ')}`,
      488,
      rejectAll(desc, opts, session),
    );
  }
  const kind = codec.kind as CodecName;
  const te = opts.telephoneEvent === false ? undefined : chooseTelephoneEvent(formats, codec.clockRate);
  const wanted = opts.direction ?? 'sendrecv';
  const notes: string[] = [];
  if (opts.telephoneEvent !== false) noteEventClockMismatch(formats, codec.clockRate, te, kind, notes);
  const neg = negotiated(desc, pick, { ...codec, kind }, te, wanted, opts.ptime ?? 20, notes);
  for (const [i, m] of desc.media.entries()) {
    if (i !== pick.index && m.port !== 0) notes.push(`declined the offered ${m.type} stream ${i + 1} (port 0)`);
  }

  // the answer uses the offer's payload type numbers (RFC 3264 6.1)
  const ours: OfferedFormat[] = [{ payloadType: codec.payloadType, kind, clockRate: codec.clockRate, channels: kind === 'opus' ? 2 : 1 }];
  if (te) ours.push({ payloadType: te.payloadType, kind: 'telephone-event', clockRate: te.clockRate, channels: 1 });
  const answerOpts: LocalMediaOptions = { ...opts, ptime: neg.ptime };
  const others = desc.media.filter((_, i) => i !== pick.index).map(rejected);
  const direction = answerDirection(parseDirection(pick.media.direction ?? desc.direction), wanted);
  // with c=0.0.0.0 the stream direction we write still follows the offer's attribute (RFC 3264 6.1);
  // what we actually do is neg.direction
  const sdp = writeDescription(session, answerOpts, ours, direction, others, pick.index);
  return { ok: true, sdp, session, negotiated: neg };
}
