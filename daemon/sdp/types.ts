/**
 * The SDP offer/answer model (RFC 3264) as the rest of portier sees it: one audio stream,
 * one codec, optional telephone-event (RFC 4733).
 */
import type { CodecName } from '../media/types.js';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** The o= line's identity; the version increments with every changed description (RFC 3264 8). */
export interface SdpSessionId {
  username: string;
  id: string;
  version: number;
}

export interface OpusParams {
  /** the highest rate we want to receive (RFC 7587 7.1 maxplaybackrate), default 16000 (wideband voice) */
  maxPlaybackRate?: number;
  /** ask the peer to send in-band FEC (useinbandfec=1), default true */
  useInbandFec?: boolean;
}

export interface LocalMediaOptions {
  /** ordered preferences from config */
  codecs: readonly CodecName[];
  /** our RTP address (IPv4 or IPv6, no brackets) */
  address: string;
  port: number;
  /** default sendrecv */
  direction?: Direction;
  /** ms of audio per packet we ask for and send, default 20 */
  ptime?: number;
  /** offer/accept RFC 4733 telephone-event, default true */
  telephoneEvent?: boolean;
  /** dynamic payload types we use in our own offers (defaults: opus 111, telephone-event 101/8000, 110/48000) */
  payloadTypes?: { opus?: number; telephoneEvent8000?: number; telephoneEvent48000?: number };
  opus?: OpusParams;
  /** the o= line: a new session when absent */
  session?: Partial<SdpSessionId>;
  /** shorthands for session.id / session.version */
  sessionId?: string | number;
  sessionVersion?: number;
  /** explicit RTCP port (a=rtcp, RFC 3605) when it is not port + 1 */
  rtcpPort?: number;
}

export interface TelephoneEvent {
  payloadType: number;
  clockRate: number;
}

/** The outcome of an offer/answer exchange, from our side. */
export interface Negotiated {
  codec: CodecName;
  payloadType: number;
  /** RTP clock of the codec (8000 for G.722, 48000 for Opus) */
  clockRate: number;
  /** channel count as written in SDP (2 for Opus) */
  channels: number;
  telephoneEvent?: TelephoneEvent;
  remoteAddress: string;
  remotePort: number;
  /** where to send RTCP: a=rtcp if given (RFC 3605), otherwise RTP port + 1 (RFC 3550 11) */
  remoteRtcp?: { address: string; port: number };
  /** our direction after the exchange (what we may do) */
  direction: Direction;
  /** the peer's direction as written (before the hold interpretation of c=0.0.0.0) */
  remoteDirection: Direction;
  /** the peer has put us on hold (sendonly/inactive or c=0.0.0.0 in its offer) */
  remoteHold: boolean;
  /** packet time we send, ms */
  ptime: number;
  /** the peer's a=ptime / a=maxptime, if it said */
  remotePtime?: number;
  remoteMaxPtime?: number;
  /** the peer's fmtp parameters for the chosen codec (e.g. Opus maxplaybackrate, useinbandfec, stereo) */
  fmtp: Record<string, string>;
  /** things the caller should know or log (ptime lowered for the peer, ignored streams ...) */
  notes: string[];
}

export type SdpFailureCode =
  | 'SDP_PARSE' // not a usable session description
  | 'SDP_NO_AUDIO' // no usable audio stream
  | 'SDP_NO_COMMON_CODEC' // nothing we can speak
  | 'SDP_REJECTED' // the peer refused the audio stream (port 0)
  | 'SDP_MISMATCH'; // an answer that does not fit our offer

/** A failure a SIP user agent can act on: answer 488 (RFC 3261 21.4.26), or 400/BYE for a bad answer. */
export interface SdpFailure {
  ok: false;
  code: SdpFailureCode;
  reason: string;
  /** the SIP status to answer an offer with */
  status: 400 | 488;
  /** for a rejected offer: an answer with every stream at port 0 (RFC 3264 6), when one could be built */
  sdp?: string;
}

/** What we offered, kept by the caller to read the answer and to make the next offer. */
export interface LocalOffer {
  sdp: string;
  session: SdpSessionId;
  options: LocalMediaOptions;
  /** payload type -> codec / telephone-event we put in the m= line */
  formats: OfferedFormat[];
  direction: Direction;
}

export interface OfferedFormat {
  payloadType: number;
  kind: CodecName | 'telephone-event';
  clockRate: number;
  channels: number;
}

export interface AnswerResult {
  ok: true;
  sdp: string;
  session: SdpSessionId;
  negotiated: Negotiated;
}

export type CreateAnswerResult = AnswerResult | SdpFailure;
export type ParseAnswerResult = { ok: true; negotiated: Negotiated } | SdpFailure;
