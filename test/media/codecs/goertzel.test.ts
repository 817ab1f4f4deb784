import { describe, expect, it } from 'vitest';
import { blockTone, detectTone, goertzelPower } from '../../../daemon/media/goertzel.js';
import { prng } from './signals.js';

function tone(rate: number, f: number, n: number, amp: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * f * i) / rate));
}

describe('Goertzel tone detection', () => {
  it('finds the energy of a pure on-bin tone at its bin (ratio 1) and none at another', () => {
    const x = tone(8000, 1000, 800, 10000);
    expect(blockTone(x, 0, 800, 1000, 8000).ratio).toBeCloseTo(1, 3);
    expect(blockTone(x, 0, 800, 1400, 8000).ratio).toBeLessThan(0.01);
    // Parseval: |X(k)|^2 = (A N / 2)^2
    expect(goertzelPower(x, 0, 800, 100)).toBeCloseTo((10000 * 400) ** 2, -6);
  });

  it('counts the seconds of tone in 100 ms blocks', () => {
    const rate = 16000;
    const pcm = new Float64Array(rate * 3);
    pcm.set(tone(rate, 600, rate * 2, 8000), rate / 2); // 2 s of tone from 0.5 s
    const d = detectTone(pcm, rate, 600);
    expect(d.blocks).toBe(30);
    expect(d.seconds).toBeCloseTo(2, 5);
    expect(d.longestRunSeconds).toBeCloseTo(2, 5);
    expect(detectTone(pcm, rate, 1000).seconds).toBe(0);
  });

  it('ignores a tone quieter than 1% of full scale', () => {
    const quiet = tone(8000, 1000, 8000, 0.009 * 32768 * Math.SQRT2);
    expect(detectTone(quiet, 8000, 1000).seconds).toBe(0);
    const audible = tone(8000, 1000, 8000, 0.011 * 32768 * Math.SQRT2);
    expect(detectTone(audible, 8000, 1000).seconds).toBeCloseTo(1, 5);
  });

  it('rejects white noise and a tone buried in stronger noise, accepts a tone over weak noise', () => {
    const rnd = prng(11);
    const noise = (amp: number) => Float64Array.from({ length: 8000 }, () => amp * (rnd() * 2 - 1));
    expect(detectTone(noise(8000), 8000, 1000).seconds).toBe(0);
    const mix = (t: Float64Array, n: Float64Array) => t.map((v, i) => v + n[i]);
    expect(detectTone(mix(tone(8000, 1000, 8000, 3000), noise(12000)), 8000, 1000).seconds).toBe(0);
    expect(detectTone(mix(tone(8000, 1000, 8000, 8000), noise(2000)), 8000, 1000).seconds).toBeCloseTo(1, 5);
  });

  it('handles silence and a signal shorter than one block', () => {
    expect(detectTone(new Int16Array(8000), 8000, 1000).seconds).toBe(0);
    expect(detectTone(new Int16Array(10), 8000, 1000)).toMatchObject({ blocks: 0, seconds: 0 });
  });
});
