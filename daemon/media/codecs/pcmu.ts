/**
 * G.711 µ-law (PCMU, RTP payload type 0, RFC 3551 4.5.14) through the `alawmulaw` package.
 */
import { mulaw } from './g711-lib.js';
import type { AudioCodec } from '../types.js';

/** Samples in one 20 ms frame at 8 kHz; used when a payload is unusable. */
const FRAME_SAMPLES = 160;

export class PcmuCodec implements AudioCodec {
  readonly name = 'pcmu' as const;
  readonly sampleRate = 8000;
  readonly rtpClockRate = 8000;

  encode(pcm: Int16Array): Uint8Array {
    // the array encode() returns proper bytes (encodeSample() would need & 0xFF)
    return mulaw.encode(pcm);
  }

  decode(payload: Uint8Array): Int16Array {
    if (!(payload instanceof Uint8Array) || payload.length === 0) return new Int16Array(FRAME_SAMPLES);
    return mulaw.decode(payload);
  }

  close(): void {
    /* stateless */
  }
}

/** One µ-law byte for one sample (masked: encodeSample returns a negative number for negatives). */
export function mulawEncodeSample(sample: number): number {
  return mulaw.encodeSample(sample) & 0xff;
}
