import { describe, expect, it } from 'vitest';
import { resample, Resampler } from '../../../daemon/util/pcm/resample.js';
import { PortierError } from '../../../daemon/util/errors.js';
import { concat, frames } from './signals.js';

function tone(rate: number, f: number, n: number, amp = 10000): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * f * i) / rate)));
}

/** Least-squares fit of a sine at f: its amplitude and the SNR of what is left (THD+N). */
function fitSine(x: Int16Array, rate: number, f: number, skip: number): { amp: number; snr: number } {
  let s = 0;
  let c = 0;
  let n = 0;
  for (let i = skip; i < x.length - skip; i++, n++) {
    s += x[i] * Math.sin((2 * Math.PI * f * i) / rate);
    c += x[i] * Math.cos((2 * Math.PI * f * i) / rate);
  }
  const a = (2 * s) / n;
  const b = (2 * c) / n;
  let e = 0;
  let p = 0;
  for (let i = skip; i < x.length - skip; i++) {
    const m = a * Math.sin((2 * Math.PI * f * i) / rate) + b * Math.cos((2 * Math.PI * f * i) / rate);
    e += (x[i] - m) ** 2;
    p += m * m;
  }
  return { amp: Math.hypot(a, b), snr: 10 * Math.log10(p / e) };
}

function rmsDb(x: Int16Array, skip: number, ref: number): number {
  let s = 0;
  for (let i = skip; i < x.length - skip; i++) s += x[i] * x[i];
  return 20 * Math.log10(Math.sqrt(s / (x.length - 2 * skip)) / ref + 1e-12);
}

describe('Resampler', () => {
  it.each([
    [8000, 48000, 1000],
    [48000, 8000, 1000],
    [16000, 48000, 3000],
    [48000, 16000, 5000],
    [44100, 48000, 1000],
    [44100, 8000, 440],
  ])('converts a tone from %i to %i Hz (%i Hz) with unchanged level and THD+N below -60 dB', (from, to, f) => {
    const out = resample(tone(from, f, from), from, to);
    expect(out.length).toBe(to);
    const fit = fitSine(out, to, f, 200);
    expect(Math.abs(20 * Math.log10(fit.amp / 10000))).toBeLessThan(0.1);
    expect(fit.snr).toBeGreaterThan(60);
  });

  it('keeps 3 kHz within 0.1 dB and 3.4 kHz within 2 dB when going down to 8 kHz', () => {
    expect(Math.abs(20 * Math.log10(fitSine(resample(tone(48000, 3000, 48000), 48000, 8000), 8000, 3000, 200).amp / 10000))).toBeLessThan(0.1);
    expect(Math.abs(20 * Math.log10(fitSine(resample(tone(48000, 3400, 48000), 48000, 8000), 8000, 3400, 200).amp / 10000))).toBeLessThan(2);
  });

  it.each([
    [48000, 8000, 6000],
    [48000, 8000, 4500],
    [48000, 16000, 9000],
    [44100, 8000, 5000],
  ])('suppresses content above the new Nyquist (%i -> %i Hz, %i Hz tone) by more than 60 dB', (from, to, f) => {
    const out = resample(tone(from, f, from), from, to);
    expect(rmsDb(out, 200, 10000 / Math.SQRT2)).toBeLessThan(-60);
  });

  it('gives the same samples when fed in 20 ms frames as in one piece (no clicks at frame edges)', () => {
    const input = tone(48000, 440, 48000 / 2);
    const whole = new Resampler(48000, 8000).process(input);
    const r = new Resampler(48000, 8000);
    const framed = concat(frames(input, 960).map((f) => r.process(f)), (n) => new Int16Array(n));
    expect(framed.length).toBe(whole.length);
    let maxDiff = 0;
    for (let i = 0; i < whole.length; i++) maxDiff = Math.max(maxDiff, Math.abs(whole[i] - framed[i]));
    expect(maxDiff).toBeLessThanOrEqual(1); // float summation order only
  });

  it('returns exactly 160 samples for every 960-sample frame (48k -> 8k) and 480 per 441 (44.1k -> 48k on average)', () => {
    const r = new Resampler(48000, 8000);
    for (let i = 0; i < 10; i++) expect(r.process(new Int16Array(960)).length).toBe(160);
    const r2 = new Resampler(44100, 48000);
    let total = 0;
    for (let i = 0; i < 100; i++) total += r2.process(new Int16Array(441)).length;
    expect(total).toBe(48000);
  });

  it('refuses rates that are not positive integers', () => {
    expect(() => new Resampler(0, 8000)).toThrowError(PortierError);
    expect(() => new Resampler(8000.5, 16000)).toThrowError(/positive integers/);
  });
});

describe('resample (one shot)', () => {
  it('lines the output up with the input: 8k -> 48k -> 8k returns the original speech band signal', () => {
    const src = Int16Array.from({ length: 8000 }, (_, i) =>
      Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 8000) + 3000 * Math.sin((2 * Math.PI * 1700 * i) / 8000 + 1)),
    );
    const back = resample(resample(src, 8000, 48000), 48000, 8000);
    expect(back.length).toBe(src.length);
    let e = 0;
    let s = 0;
    for (let i = 200; i < src.length - 200; i++) {
      e += (back[i] - src[i]) ** 2;
      s += src[i] ** 2;
    }
    expect(10 * Math.log10(s / e)).toBeGreaterThan(50);
  });
});
