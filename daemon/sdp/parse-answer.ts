/**
 * Reading the answer to our offer (RFC 3264 6, 7): it must keep our streams in order; port 0 is a
 * rejection; we send with the first format of the answer that we offered.
 */
import type { CodecName } from '../media/types.js';
import { chooseTelephoneEvent, negotiated, noteEventClockMismatch, pickAudio, remoteFormats } from './negotiate.js';
import { fail, safeParse } from './parse.js';
import type { LocalOffer, ParseAnswerResult } from './types.js';

export function parseAnswer(answerSdp: string, offer: LocalOffer): ParseAnswerResult {
  const parsed = safeParse(answerSdp);
  if (!parsed.ok) return { ...parsed, status: 400 };
  const { desc } = parsed;
  // RFC 3264 6: "the number of m= lines in the answer MUST equal the number in the offer"
  if (desc.media.length !== 1) {
    return fail('SDP_MISMATCH', `the answer has ${desc.media.length} m= lines for our 1 (RFC 3264 6)`, 400);
  }
  const m = desc.media[0];
  if (m.type !== 'audio') return fail('SDP_MISMATCH', `the answer's stream is ${m.type}, we offered audio`, 400);
  if (m.port === 0) return fail('SDP_REJECTED', 'the peer rejected the audio stream (port 0)', 488);
  const pick = pickAudio(desc);
  if ('reason' in pick) return fail('SDP_MISMATCH', pick.reason, 400);

  const formats = remoteFormats(pick.media);
  const offeredKinds = new Set(offer.formats.map((f) => f.kind));
  // RFC 3264 7: the offerer sends with a format of the answer; the answerer lists its preference first
  const codec = formats.find((f) => f.kind !== null && f.kind !== 'telephone-event' && offeredKinds.has(f.kind));
  if (!codec) {
    return fail('SDP_NO_COMMON_CODEC', `the answer lists no codec we offered (${formats.map((f) => f.encodingName || f.payloadType).join(', ') || 'none'})`, 488);
  }
  const kind = codec.kind as CodecName;
  const notes: string[] = [];
  const ourPt = offer.formats.find((f) => f.kind === kind)?.payloadType;
  if (ourPt !== undefined && ourPt !== codec.payloadType) {
    notes.push(`the answer maps ${kind} to payload type ${codec.payloadType}, we offered ${ourPt}; sending with ${codec.payloadType}`);
  }
  const teOffered = offer.options.telephoneEvent !== false;
  // only telephone-event at a clock rate we offered (RFC 3264 6.1: the answer picks from the offer)
  const offeredEventRates = new Set(offer.formats.filter((f) => f.kind === 'telephone-event').map((f) => f.clockRate));
  const te = teOffered ? chooseTelephoneEvent(formats.filter((f) => f.kind !== 'telephone-event' || offeredEventRates.has(f.clockRate)), codec.clockRate) : undefined;
  if (teOffered) noteEventClockMismatch(formats, codec.clockRate, te, kind, notes);
  const neg = negotiated(desc, pick, { ...codec, kind }, te, offer.direction, offer.options.ptime ?? 20, notes);
  return { ok: true, negotiated: neg };
}
