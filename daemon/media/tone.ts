/**
 * Tone generators for the door side: a phase-continuous sine (one or two frequencies) at a level
 * in dBFS, and on/off cadences such as ringback (425 Hz, 1 s on, 4 s off by default) and a
 * warning beep. All are streaming: next(n) returns the next n samples, frames join seamlessly,
 * and each burst is ramped in and out over a few ms so its edges do not click.
 */

import { SineGenerator, type SineOptions } from '../util/pcm/sine.js';

export { SineGenerator, dbfsToAmplitude, type SineOptions } from '../util/pcm/sine.js';

export interface CadenceStep {
  onMs: number;
  offMs: number;
}

export interface PatternOptions extends SineOptions {
  /** the on/off steps, played in order */
  cadence: readonly CadenceStep[];
  /** start over after the last step (default true); otherwise silence afterwards */
  repeat?: boolean;
  /** ramp length at each burst edge, ms (default 5) */
  rampMs?: number;
}

/** A tone switched on and off by a cadence, sample-exact across frames. */
export class TonePattern {
  private readonly sine: SineGenerator;
  private readonly steps: Array<{ on: number; off: number }>;
  private readonly repeat: boolean;
  private readonly ramp: number;
  private step = 0;
  /** samples into the current step */
  private pos = 0;
  private finished = false;

  constructor(opts: PatternOptions) {
    this.sine = new SineGenerator(opts);
    const ms = (v: number) => Math.max(0, Math.round((v * opts.rate) / 1000));
    this.steps = opts.cadence.map((c) => ({ on: ms(c.onMs), off: ms(c.offMs) })).filter((s) => s.on + s.off > 0);
    this.repeat = opts.repeat ?? true;
    this.ramp = Math.max(1, ms(opts.rampMs ?? 5));
    if (this.steps.length === 0) this.finished = true;
  }

  /** True once a non-repeating pattern has played out. */
  get done(): boolean {
    return this.finished;
  }

  next(n: number): Int16Array<ArrayBuffer> {
    const out = new Int16Array(n);
    let i = 0;
    while (i < n && !this.finished) {
      const s = this.steps[this.step];
      if (this.pos < s.on) {
        const count = Math.min(n - i, s.on - this.pos);
        const start = this.pos;
        const ramp = Math.min(this.ramp, Math.floor(s.on / 2));
        this.sine.fill(out, i, count, (k) => {
          const p = start + k;
          if (p < ramp) return (p + 0.5) / ramp;
          if (p >= s.on - ramp) return (s.on - p - 0.5) / ramp;
          return 1;
        });
        i += count;
        this.pos += count;
      } else {
        const count = Math.min(n - i, s.on + s.off - this.pos);
        i += count; // silence: already zero
        this.pos += count;
      }
      if (this.pos >= s.on + s.off) {
        this.pos = 0;
        this.step++;
        if (this.step >= this.steps.length) {
          if (this.repeat) this.step = 0;
          else this.finished = true;
        }
        this.sine.resetPhase();
      }
    }
    return out;
  }
}

/** Ringback heard while the called phone rings (ETSI/European default: 425 Hz, 1 s on, 4 s off). */
export function ringbackTone(rate: number, opts: Partial<Omit<PatternOptions, 'rate'>> = {}): TonePattern {
  return new TonePattern({
    rate,
    freqHz: opts.freqHz ?? 425,
    levelDbfs: opts.levelDbfs ?? -15,
    cadence: opts.cadence ?? [{ onMs: 1000, offMs: 4000 }],
    repeat: opts.repeat ?? true,
    rampMs: opts.rampMs,
  });
}

/** A short warning: three 1400 Hz beeps of 150 ms, 100 ms apart, then silence. */
export function warningBeep(rate: number, opts: Partial<Omit<PatternOptions, 'rate'>> = {}): TonePattern {
  const beep = { onMs: 150, offMs: 100 };
  return new TonePattern({
    rate,
    freqHz: opts.freqHz ?? 1400,
    levelDbfs: opts.levelDbfs ?? -10,
    cadence: opts.cadence ?? [beep, beep, beep],
    repeat: opts.repeat ?? false,
    rampMs: opts.rampMs,
  });
}
