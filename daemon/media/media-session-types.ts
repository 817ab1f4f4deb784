/**
 * The media session's contracts: what it needs from audio devices, the jitter buffer, concealer,
 * resampler and media clock, how it is configured, and what it reports.
 */
import type { Clock } from '../util/clock.js';
import type { DtmfEvent, DtmfSenderOptions } from './dtmf.js';
import type { RtcpStats } from './rtcp.js';
import type { RtpTransport } from './rtp-socket.js';
import type { AudioCodec, JitterStats, MediaPacket, PlayoutAction } from './types.js';

/** What the HAL's capture driver is adapted to: pulled once per tick. */
export interface AudioCapture {
  read(samples: number): Int16Array;
  readonly sampleRate: number;
}

/** What the HAL's playback driver is adapted to: one frame pushed per tick. */
export interface AudioPlayback {
  write(pcm: Int16Array): void;
  readonly sampleRate: number;
}

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface JitterBufferLike {
  push(packet: MediaPacket): void;
  pull(nowMs: number): PlayoutAction;
  stats(): JitterStats;
  reset(): void;
}

/** Waveform-continuation concealment (daemon/media/concealment.ts). */
export interface ConcealerLike {
  remember(pcm: Int16Array): void;
  conceal(samples: number): Int16Array;
  /** the frame to play when a good frame follows concealment (cross-fade) */
  merge?(pcm: Int16Array): Int16Array;
  reset?(): void;
}

/** The media clock's shape (daemon/media/media-clock.ts). */
export interface TickSource {
  /** returns a function that removes the listener */
  onTick(fn: () => void): () => void;
  start(): void;
  stop(): void;
}

/** Converts a stream between two rates; `process` keeps its state across frames. */
export interface ResamplerLike {
  process(pcm: Int16Array): Int16Array;
}

export interface MediaCodecConfig {
  /** a fresh codec instance; the session owns it and closes it */
  codec: AudioCodec;
  payloadType: number;
  /** negotiated telephone-event payload type (RFC 4733), if any */
  telephoneEventPt?: number;
  /** its clock rate (default: the codec's RTP clock rate, as RFC 4733 2.1 recommends) */
  telephoneEventClockRate?: number;
  /** ms of audio per packet we send (default 20) */
  ptimeMs?: number;
  /** ms of audio per packet the peer sends, when its SDP said (default ptimeMs) */
  recvPtimeMs?: number;
}

export interface MediaRemote {
  address: string;
  rtpPort: number;
  /** default rtpPort + 1, or rtpPort with rtcpMux */
  rtcpPort?: number;
  /** a=rtcp with an address (RFC 3605); default `address` */
  rtcpAddress?: string;
  rtcpMux?: boolean;
}

export interface MediaSessionOptions {
  clock: Clock;
  transport: RtpTransport;
  remote: MediaRemote;
  codec: MediaCodecConfig;
  direction?: MediaDirection;
  capture?: AudioCapture | null;
  playback?: AudioPlayback | null;
  /** no RTP for this long -> `rtpTimeout` event (0 disables); the call policy decides */
  rtpTimeoutMs?: number;
  /**
   * Symmetric RTP: RTP from the SDP address latches at once; from another address (a NATed phone)
   * only after this many packets in sequence (default 3), so a stray stream that happens to
   * arrive first (the previous call on this port, RTP bleed) cannot capture the call.
   */
  rtpLearnPackets?: number;
  /**
   * Symmetric RTP (RFC 4961, "comedia"): send to where the peer's RTP comes from once latched,
   * which gets through a NAT in front of the phone (default true). false: always send to the
   * SDP address, for peers that send from one port and listen on another.
   */
  symmetricRtp?: boolean;
  cname?: string;
  dtmf?: DtmfSenderOptions;
  createJitterBuffer?: (codec: AudioCodec, ptimeMs: number) => JitterBufferLike;
  /** default: daemon/media/concealment.ts Concealer, for codecs without their own PLC */
  createConcealer?: (sampleRate: number) => ConcealerLike;
  /** default: daemon/media/resample.ts Resampler */
  createResampler?: (fromRate: number, toRate: number) => ResamplerLike;
  /**
   * A media clock shared with other sessions: the session subscribes on start() and unsubscribes
   * on close(), starts it if needed but never stops it. Without it the session runs its own
   * MediaClock at ptime.
   */
  mediaClock?: TickSource;
  /** the media clock's period (default 20 ms); playback gets this much per tick */
  tickMs?: number;
  random?: () => number;
}

export interface MediaSessionStats {
  codec: string;
  direction: MediaDirection;
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  /** cumulative loss ratio of the received stream, 0..1 */
  loss: number;
  cumulativeLost: number;
  jitterMs: number;
  rttMs: number | null;
  bleed: number;
  /** packets dropped while learning a non-SDP source */
  learning: number;
  malformed: number;
  unknownPayloadType: number;
  ssrcChanges: number;
  digitsReceived: number;
  digitsSent: number;
  /** RMS level of the last ~300 ms, dBFS (-100 for digital silence) */
  levelInDbfs: number;
  levelOutDbfs: number;
  jitterBuffer: JitterStats;
  rtcp: RtcpStats;
}

export interface MediaSessionEvents extends Record<string, unknown> {
  digit: DtmfEvent;
  rtpTimeout: { silentMs: number };
  rtcpBye: { reason?: string };
  /** symmetric RTP: the peer's media source was latched (where we now send) */
  latched: { address: string; port: number };
  /** the peer's SSRC changed (the jitter buffer was reset) */
  ssrcChange: { from: number; to: number };
}
