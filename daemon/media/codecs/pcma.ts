/**
 * G.711 A-law (PCMA, RTP payload type 8, RFC 3551 4.5.14) through the `alawmulaw` package.
 */
import { alaw } from './g711-lib.js';
import type { AudioCodec } from '../types.js';

/** Samples in one 20 ms frame at 8 kHz; used when a payload is unusable. */
const FRAME_SAMPLES = 160;

export class PcmaCodec implements AudioCodec {
  readonly name = 'pcma' as const;
  readonly sampleRate = 8000;
  readonly rtpClockRate = 8000;

  encode(pcm: Int16Array): Uint8Array {
    return alaw.encode(pcm);
  }

  decode(payload: Uint8Array): Int16Array {
    if (!(payload instanceof Uint8Array) || payload.length === 0) return new Int16Array(FRAME_SAMPLES);
    return alaw.decode(payload);
  }

  close(): void {
    /* stateless */
  }
}

/** One A-law byte for one sample. */
export function alawEncodeSample(sample: number): number {
  return alaw.encodeSample(sample) & 0xff;
}
