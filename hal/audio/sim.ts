/**
 * Simulated audio: a silent or sine-tone microphone and a speaker that discards. The WAV file
 * drivers live in wav-file.ts.
 */
import type { AudioCapture, AudioPlayback } from '../types.js';

export class SilenceCapture implements AudioCapture {
  readonly driver = 'silence';
  constructor(readonly sampleRate: number) {}
  read(samples: number): Int16Array {
    return new Int16Array(samples);
  }
  async open(): Promise<void> {}
  async close(): Promise<void> {}
}

/** A continuous sine at `hz` (phase carried across frames, so no clicks at frame edges). */
export class ToneCapture implements AudioCapture {
  readonly driver = 'tone';
  private phase = 0;

  constructor(
    readonly sampleRate: number,
    readonly hz: number,
    private readonly amplitude = 0.3,
  ) {}

  read(samples: number): Int16Array {
    const out = new Int16Array(samples);
    const step = (2 * Math.PI * this.hz) / this.sampleRate;
    const peak = this.amplitude * 32767;
    for (let i = 0; i < samples; i++) {
      out[i] = Math.round(peak * Math.sin(this.phase));
      this.phase += step;
    }
    this.phase %= 2 * Math.PI;
    return out;
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}
}

export class NullPlayback implements AudioPlayback {
  readonly driver = 'null';
  /** frames and samples written, for status and tests */
  frames = 0;
  samples = 0;
  constructor(readonly sampleRate: number) {}
  write(pcm: Int16Array): void {
    this.frames++;
    this.samples += pcm.length;
  }
  async open(): Promise<void> {}
  async close(): Promise<void> {}
}
