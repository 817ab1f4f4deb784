import { describe, expect, it } from 'vitest';
import { Concealer } from '../../../daemon/media/concealment.js';

const RATE = 8000;
const N = 160; // 20 ms

function sine(freq: number, start: number, n: number, amp = 10000, rate = RATE): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * (start + i)) / rate));
  return out;
}

/** Goertzel power of `freq` in x, normalised to the amplitude of a sine of that frequency */
function toneAmplitude(x: Int16Array, freq: number, rate = RATE): number {
  const k = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s0 = x[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / x.length;
}

function rms(x: Int16Array, from = 0, to = x.length): number {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i] * x[i];
  return Math.sqrt(e / Math.max(1, to - from));
}

/** normalised correlation of two equal-length signals */
function correlation(a: Int16Array, b: Int16Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb || 1);
}

/** largest sample-to-sample step, a click detector */
function maxStep(x: Int16Array): number {
  let m = 0;
  for (let i = 1; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - x[i - 1]));
  return m;
}

function primed(freq: number, frames = 5, rate = RATE, n = N): Concealer {
  const c = new Concealer(rate);
  for (let f = 0; f < frames; f++) c.merge(sine(freq, f * n, n, 10000, rate));
  return c;
}

describe('Concealer (waveform continuation)', () => {
  it('continues a 250 Hz tone through the first lost frame in phase', () => {
    const c = primed(250);
    const lost = c.conceal(N);
    const ideal = sine(250, 5 * N, N);
    expect(toneAmplitude(lost, 250)).toBeGreaterThan(8000);
    // first 10 ms at full level and in phase with what the tone would have been
    expect(correlation(lost.subarray(0, 80), ideal.subarray(0, 80))).toBeGreaterThan(0.95);
    // no click at the seam between the last real sample and the continuation
    const seam = Int16Array.from([...sine(250, 5 * N - 8, 8), ...lost.subarray(0, 8)]);
    expect(maxStep(seam)).toBeLessThan(2 * maxStep(sine(250, 0, N)));
  });

  it('finds the pitch of a tone whose period is not a whole number of samples', () => {
    const c = primed(300);
    const lost = c.conceal(N);
    expect(correlation(lost.subarray(0, 80), sine(300, 5 * N, 80))).toBeGreaterThan(0.9);
    expect(maxStep(lost)).toBeLessThan(2 * maxStep(sine(300, 0, N)));
  });

  it('fades to silence over about 60 ms of consecutive loss', () => {
    const c = primed(250);
    const frames = [c.conceal(N), c.conceal(N), c.conceal(N), c.conceal(N)];
    const levels = frames.map((f) => rms(f));
    const full = rms(sine(250, 0, N));
    expect(levels[0]).toBeGreaterThan(0.6 * full);
    expect(levels[1]).toBeLessThan(levels[0]);
    expect(levels[2]).toBeLessThan(levels[1]);
    // 50-60 ms: under a quarter of the level; 60 ms and later: silent
    expect(rms(frames[2], 80)).toBeLessThan(0.25 * full);
    expect(levels[3]).toBe(0);
    // the tone is still the tone while it fades
    expect(toneAmplitude(frames[1], 250) / levels[1]).toBeGreaterThan(1.2);
  });

  it('cross-fades back into real audio without a click on the next good frame', () => {
    const c = primed(250);
    c.conceal(N);
    const real = sine(250, 6 * N, N);
    const merged = c.merge(real);
    expect(c.concealing).toBe(false);
    expect(merged.length).toBe(N);
    // the end of the frame is the real audio untouched
    expect(Array.from(merged.subarray(120))).toEqual(Array.from(real.subarray(120)));
    expect(maxStep(merged)).toBeLessThan(2 * maxStep(real));
  });

  it('fades real audio in after a loss that had already gone silent', () => {
    const c = primed(250);
    for (let i = 0; i < 4; i++) c.conceal(N);
    const merged = c.merge(sine(250, 9 * N, N));
    expect(Math.abs(merged[0])).toBeLessThan(2000);
    expect(rms(merged, 120)).toBeGreaterThan(6000);
  });

  it('returns a good frame unchanged when nothing was concealed', () => {
    const c = primed(250);
    const real = sine(250, 5 * N, N);
    expect(c.merge(real)).toBe(real);
  });

  it('gives silence when there is no history to continue', () => {
    const c = new Concealer(RATE);
    expect(rms(c.conceal(N))).toBe(0);
  });

  it('works at 16 kHz (G.722)', () => {
    const c = primed(200, 5, 16000, 320);
    const lost = c.conceal(320);
    expect(correlation(lost.subarray(0, 160), sine(200, 5 * 320, 160, 10000, 16000))).toBeGreaterThan(0.95);
    expect(toneAmplitude(lost, 200, 16000)).toBeGreaterThan(7000);
  });
});
