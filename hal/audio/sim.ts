/**
 * Simulated audio: a silent or sine-tone microphone and a speaker that discards. The WAV file
 * drivers live in wav-file.ts.
 */
import { SineGenerator } from '../../daemon/util/pcm/sine.js';
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
  private readonly sine: SineGenerator;

  constructor(
    readonly sampleRate: number,
    readonly hz: number,
    levelDbfs = -10,
  ) {
    this.sine = new SineGenerator({ rate: sampleRate, freqHz: hz, levelDbfs });
  }

  read(samples: number): Int16Array {
    return this.sine.next(samples);
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
