/**
 * A phase-continuous sine (one or several frequencies summed) at a level in dBFS: the door's tones
 * (media/tone.ts) and the simulated microphone (hal/audio/sim.ts) both use it.
 */

export interface SineOptions {
  rate: number;
  /** one frequency, or several summed (e.g. [350, 440] for a dual tone) */
  freqHz: number | readonly number[];
  /** peak level of the summed tone in dB relative to full scale (default -12 dBFS) */
  levelDbfs?: number;
}

/** Peak amplitude for a level in dBFS (0 dBFS = 32767). */
export function dbfsToAmplitude(dbfs: number): number {
  return 32767 * 10 ** (dbfs / 20);
}

export class SineGenerator {
  private readonly steps: number[];
  private readonly phases: number[];
  private readonly amp: number;

  constructor(opts: SineOptions) {
    const freqs = typeof opts.freqHz === 'number' ? [opts.freqHz] : [...opts.freqHz];
    this.steps = freqs.map((f) => (2 * Math.PI * f) / opts.rate);
    this.phases = freqs.map(() => 0);
    this.amp = dbfsToAmplitude(opts.levelDbfs ?? -12) / Math.max(1, freqs.length);
  }

  /** The next `n` samples; the phase carries over between calls. */
  next(n: number): Int16Array<ArrayBuffer> {
    const out = new Int16Array(n);
    this.fill(out, 0, n, () => 1);
    return out;
  }

  /** Write `count` samples into out[from..], each scaled by gain(i) for i in 0..count-1. */
  fill(out: Int16Array, from: number, count: number, gain: (i: number) => number): void {
    for (let i = 0; i < count; i++) {
      let v = 0;
      for (let f = 0; f < this.steps.length; f++) {
        v += Math.sin(this.phases[f]);
        this.phases[f] += this.steps[f];
        if (this.phases[f] > 2 * Math.PI) this.phases[f] -= 2 * Math.PI;
      }
      const s = Math.round(v * this.amp * gain(i));
      out[from + i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
    }
  }

  resetPhase(): void {
    this.phases.fill(0);
  }
}
