/**
 * Contracts between the media pieces: codecs, the jitter buffer and the media session.
 * PCM is always 16-bit signed mono (Int16Array).
 */

export type CodecName = 'pcmu' | 'pcma' | 'g722' | 'opus';

export interface AudioCodec {
  readonly name: CodecName;
  /** the rate of the PCM this codec encodes from and decodes to (8000, 16000 or 48000) */
  readonly sampleRate: number;
  /** the RTP timestamp clock (8000 for G.722 although it samples at 16 kHz, RFC 3551 4.5.2) */
  readonly rtpClockRate: number;
  /** encode one frame (ptime worth of samples at sampleRate) */
  encode(pcm: Int16Array): Uint8Array;
  /** decode one payload; never throws on bad payloads (returns silence of one frame instead) */
  decode(payload: Uint8Array): Int16Array;
  /**
   * Concealment for a lost frame of `samples` samples. Codecs with their own PLC (Opus) use it;
   * for the others the jitter buffer's waveform continuation is used and this may be absent.
   */
  conceal?(samples: number): Int16Array;
  /** Opus in-band FEC: recover the lost frame before `nextPayload` from it, if it carries FEC. */
  decodeFec?(nextPayload: Uint8Array, samples: number): Int16Array | null;
  close(): void;
}

/** One received RTP packet as the jitter buffer sees it. */
export interface MediaPacket {
  seq: number; // 16-bit RTP sequence number
  timestamp: number; // 32-bit RTP timestamp
  ssrc: number;
  marker: boolean;
  payloadType: number;
  payload: Uint8Array;
  /** receive time on the media clock, ms */
  arrivalMs: number;
}

/** What the jitter buffer tells the playout to do for one 20 ms tick. */
export type PlayoutAction =
  | { kind: 'play'; packet: MediaPacket }
  /** a frame is missing: conceal it (codec PLC / FEC from `next` when available) */
  | { kind: 'conceal'; next?: MediaPacket }
  /** nothing has arrived yet (before the first packet, or after a long silence) */
  | { kind: 'silence' };

export interface JitterStats {
  /** current buffered delay target, ms */
  targetDelayMs: number;
  /** frames currently buffered */
  depthFrames: number;
  received: number;
  played: number;
  late: number;
  duplicates: number;
  concealed: number;
  expandFrames: number;
  accelerateFrames: number;
  resets: number;
}
