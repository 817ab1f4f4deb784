/**
 * The shared part of reading a peer's audio stream, whether it is an offer or an answer:
 * codec choice, telephone-event, directions, ptime, RTP/RTCP addresses.
 */
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { CODECS } from '../media/codecs/codec-table.js';
import type { CodecName } from '../media/types.js';
import { answerDirection, isNullAddress, parseDirection } from './direction.js';
import { remoteFormats, type RemoteFormat } from './media-format.js';
import { connectionAddress, isIpLiteral, isPlainRtp } from './parse.js';
import type { Direction, Negotiated } from './types.js';

/** Opus frame sizes in ms we may send (RFC 6716 2.1.4); others take any whole ms. */
const OPUS_PTIMES = [2.5, 5, 10, 20, 40, 60];

export interface StreamPick {
  index: number;
  media: MediaDescription;
  address: string;
}

/**
 * The first audio stream we can carry: audio, port not 0 (RFC 3264 6: 0 = rejected), RTP/AVP(F),
 * and an IP literal (or the all-zero hold address) to send to. Gives a reason when there is none.
 */
export function pickAudio(desc: SessionDescription): StreamPick | { reason: string } {
  let reason = 'the SDP has no audio stream';
  for (const [index, media] of desc.media.entries()) {
    if (media.type !== 'audio') continue;
    if (media.port === 0) {
      reason = 'the audio stream is disabled (port 0)';
      continue;
    }
    if (!isPlainRtp(media.protocol)) {
      reason = `the audio stream uses ${media.protocol}, only RTP/AVP is supported (no SRTP)`;
      continue;
    }
    const address = connectionAddress(desc, media);
    if (!isIpLiteral(address)) {
      reason = address ? `the audio connection address "${address}" is not an IP address` : 'the audio stream has no c= line (RFC 4566 5.7)';
      continue;
    }
    return { index, media, address };
  }
  return { reason };
}

/** Pick the codec: the first of `prefs` the peer lists (our preference order). */
export function chooseCodec(formats: RemoteFormat[], prefs: readonly CodecName[]): RemoteFormat | undefined {
  for (const name of prefs) {
    const f = formats.find((x) => x.kind === name);
    if (f) return f;
  }
  return undefined;
}

/**
 * telephone-event at the codec's clock rate (RFC 4733 2.1 ties events to the audio's RTP clock).
 * DEVIATION: when the peer has telephone-event only at another rate (baresip 1.0 and many PBXes
 * offer only 8000 Hz events next to Opus), take that one rather than lose DTMF: a door code keyed on
 * such a phone must still open the door. Event timestamps then run on the event's own clock.
 */
export function chooseTelephoneEvent(formats: RemoteFormat[], clockRate: number): RemoteFormat | undefined {
  const events = formats.filter((f) => f.kind === 'telephone-event');
  return events.find((f) => f.clockRate === clockRate) ?? events.find((f) => f.clockRate === 8000) ?? events[0];
}

/** Note a telephone-event whose clock differs from the codec's (RFC 4733 2.1; see chooseTelephoneEvent). */
export function noteEventClockMismatch(_formats: RemoteFormat[], clockRate: number, chosen: RemoteFormat | undefined, codec: CodecName, notes: string[]): void {
  if (!chosen || chosen.clockRate === clockRate) return;
  notes.push(`the peer has telephone-event only at ${chosen.clockRate} Hz, not at ${codec}'s ${clockRate} Hz clock (RFC 4733 2.1): using it anyway`);
}

/** The packet time we send: ours, unless the peer's maxptime is smaller (then the largest that fits). */
export function choosePtime(codec: CodecName, wanted: number, remotePtime: number | undefined, remoteMax: number | undefined, notes: string[]): number {
  let ptime = wanted;
  if (remoteMax !== undefined && remoteMax > 0 && remoteMax < wanted) {
    ptime = codec === 'opus' ? ([...OPUS_PTIMES].reverse().find((p) => p <= remoteMax) ?? 2.5) : Math.max(1, Math.floor(remoteMax));
    notes.push(`the peer's maxptime is ${remoteMax} ms, below our ${wanted} ms: sending ${ptime} ms packets`);
  }
  if (remotePtime !== undefined && remotePtime > 0 && remotePtime !== ptime) {
    notes.push(`the peer prefers ${remotePtime} ms packets; we send ${ptime} ms (within its maxptime) and accept any size`);
  }
  return ptime;
}

function num(v: unknown): number | undefined {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * Build the negotiated result for a stream whose codec is chosen.
 * `wanted` is the direction we asked for (our offer's, or what we want when answering).
 */
export function negotiated(
  desc: SessionDescription,
  pick: StreamPick,
  codec: RemoteFormat & { kind: CodecName },
  te: RemoteFormat | undefined,
  wanted: Direction,
  wantedPtime: number,
  notes: string[],
): Negotiated {
  const { media, address } = pick;
  const remoteDirection = parseDirection(media.direction ?? desc.direction);
  const nullAddr = isNullAddress(address);
  // RFC 3264 8.4 / RFC 2543: c=0.0.0.0 means "do not send to me": the peer only sends, if anything
  const effective: Direction = nullAddr ? (remoteDirection === 'sendrecv' || remoteDirection === 'sendonly' ? 'sendonly' : 'inactive') : remoteDirection;
  const remoteHold = nullAddr || remoteDirection === 'sendonly' || remoteDirection === 'inactive';
  if (nullAddr) notes.push('the peer uses the connection address 0.0.0.0 (RFC 2543 hold)');
  const remotePtime = num(media.ptime);
  const remoteMaxPtime = num(media.maxptime);
  const info = CODECS[codec.kind];
  const out: Negotiated = {
    codec: codec.kind,
    payloadType: codec.payloadType,
    clockRate: info.clockRate,
    channels: info.channels,
    remoteAddress: address,
    remotePort: media.port,
    direction: answerDirection(effective, wanted),
    remoteDirection,
    remoteHold,
    ptime: choosePtime(codec.kind, wantedPtime, remotePtime, remoteMaxPtime, notes),
    fmtp: codec.fmtp,
    notes,
  };
  if (codec.g722Rate16000) notes.push('the peer wrote G722/16000; treated as G722/8000 (RFC 3551 4.5.2)');
  if (te) out.telephoneEvent = { payloadType: te.payloadType, clockRate: te.clockRate };
  if (remotePtime !== undefined) out.remotePtime = remotePtime;
  if (remoteMaxPtime !== undefined) out.remoteMaxPtime = remoteMaxPtime;
  if (!nullAddr) {
    const rtcp = media.rtcp;
    if (rtcp && Number.isInteger(rtcp.port) && rtcp.port > 0 && rtcp.port <= 65535) {
      const a = rtcp.address && isIpLiteral(rtcp.address) ? rtcp.address : address;
      out.remoteRtcp = { address: a, port: rtcp.port };
    } else if (media.port < 65535) {
      out.remoteRtcp = { address, port: media.port + 1 };
    }
  }
  return out;
}

export { remoteFormats };
