import { describe, expect, it } from 'vitest';
import { detectTone } from '../../../daemon/media/goertzel.js';
import { dbfsToAmplitude, ringbackTone, SineGenerator, TonePattern, warningBeep } from '../../../daemon/media/tone.js';
import { concat } from './signals.js';

function take(gen: { next(n: number): Int16Array }, frameSamples: number, count: number): Int16Array {
  return concat(Array.from({ length: count }, () => gen.next(frameSamples)), (n) => new Int16Array(n));
}

describe('SineGenerator', () => {
  it('produces the requested level and frequency, continuous across frames', () => {
    const g = new SineGenerator({ rate: 8000, freqHz: 1000, levelDbfs: -6 });
    const pcm = take(g, 160, 50); // 1 s in 20 ms frames
    const peak = Math.max(...pcm);
    expect(peak).toBeGreaterThan(dbfsToAmplitude(-6) * 0.99);
    expect(peak).toBeLessThanOrEqual(Math.round(dbfsToAmplitude(-6)));
    expect(detectTone(pcm, 8000, 1000).seconds).toBeCloseTo(1, 5);
    // continuity: no sample-to-sample step larger than the sine's own slope allows
    const maxStep = 2 * Math.PI * (1000 / 8000) * dbfsToAmplitude(-6);
    for (let i = 1; i < pcm.length; i++) expect(Math.abs(pcm[i] - pcm[i - 1])).toBeLessThanOrEqual(maxStep + 1);
  });

  it('sums two frequencies for a dual tone without exceeding the level', () => {
    const pcm = new SineGenerator({ rate: 8000, freqHz: [350, 440], levelDbfs: -3 }).next(8000);
    expect(Math.max(...pcm.map(Math.abs))).toBeLessThanOrEqual(Math.round(dbfsToAmplitude(-3)));
    const opts = { minRatio: 0.3 };
    expect(detectTone(pcm, 8000, 350, opts).seconds).toBeGreaterThan(0.9);
    expect(detectTone(pcm, 8000, 440, opts).seconds).toBeGreaterThan(0.9);
  });
});

describe('TonePattern', () => {
  it('plays ringback as 425 Hz for 1 s then 4 s of silence, repeating', () => {
    const rb = ringbackTone(8000);
    const pcm = take(rb, 160, 500); // 10 s
    const sec = (a: number, b: number) => pcm.subarray(a * 8000, b * 8000);
    // 425 Hz falls between the 10 Hz bins of 100 ms blocks: 200 ms blocks put it on a bin
    const opts = { blockMs: 200 };
    expect(detectTone(sec(0, 1), 8000, 425, opts).seconds).toBeCloseTo(1, 5);
    expect(sec(1, 5).every((v) => v === 0)).toBe(true);
    expect(detectTone(sec(5, 6), 8000, 425, opts).seconds).toBeCloseTo(1, 5);
    expect(detectTone(pcm, 8000, 425, opts).seconds).toBeCloseTo(2, 5);
  });

  it('follows a configured cadence sample-exactly across odd frame sizes', () => {
    const p = new TonePattern({ rate: 8000, freqHz: 600, cadence: [{ onMs: 250, offMs: 250 }] });
    const pcm = take(p, 77, 104); // 8008 samples
    const onSamples = (a: number, b: number) => pcm.subarray(a, b).some((v) => v !== 0);
    expect(onSamples(0, 2000)).toBe(true);
    expect(onSamples(2000, 4000)).toBe(false);
    expect(onSamples(4000, 6000)).toBe(true);
    expect(onSamples(6000, 8000)).toBe(false);
  });

  it('ramps burst edges so the first and last samples are small', () => {
    const pcm = new TonePattern({ rate: 8000, freqHz: 1000, levelDbfs: 0, cadence: [{ onMs: 100, offMs: 100 }] }).next(1600);
    expect(Math.abs(pcm[0])).toBeLessThan(1000);
    expect(Math.abs(pcm[799])).toBeLessThan(3000);
  });

  it('plays a warning beep of three bursts once and then reports done', () => {
    const w = warningBeep(16000);
    const pcm = take(w, 320, 50); // 1 s
    expect(w.done).toBe(true);
    const d = detectTone(pcm, 16000, 1400, { blockMs: 50 });
    expect(d.seconds).toBeGreaterThanOrEqual(0.3);
    expect(d.seconds).toBeLessThanOrEqual(0.45);
    expect(pcm.subarray(16000 * 0.75).every((v) => v === 0)).toBe(true);
  });
});
