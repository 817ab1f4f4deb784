/**
 * Tone detection for lab recordings (field guide "Checking audio"): 100 ms blocks, Goertzel
 * power at the tone's bin relative to the block energy. A block has the tone when its RMS is
 * above 1% of full scale and the ratio is >= 0.5.
 */
import { readWavMono } from './wav.js';

/** 2|X(k)|^2 / N at bin k = round(freq*N/rate), divided by the block energy (0..~1). */
export function goertzelRatio(block: Int16Array | Float64Array, freq: number, sampleRate: number): number {
  const n = block.length;
  if (n === 0) return 0;
  const k = Math.round((freq * n) / sampleRate);
  const w = (2 * Math.PI * k) / n;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (let i = 0; i < n; i++) {
    const x = block[i];
    energy += x * x;
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  if (energy === 0) return 0;
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * power) / n / energy;
}

export interface ToneOptions {
  blockMs?: number;
  minRms?: number; // fraction of full scale
  minRatio?: number;
}

/** Number of blocks that carry `freq`, and the block length in seconds. */
export function toneBlocks(samples: Int16Array, sampleRate: number, freq: number, opts: ToneOptions = {}): { hits: number; blocks: number; blockSeconds: number } {
  const blockLen = Math.round(((opts.blockMs ?? 100) * sampleRate) / 1000);
  const minRms = (opts.minRms ?? 0.01) * 32768;
  const minRatio = opts.minRatio ?? 0.5;
  let hits = 0;
  let blocks = 0;
  for (let off = 0; off + blockLen <= samples.length; off += blockLen) {
    const block = samples.subarray(off, off + blockLen);
    blocks++;
    let e = 0;
    for (let i = 0; i < block.length; i++) e += block[i] * block[i];
    if (Math.sqrt(e / block.length) < minRms) continue;
    if (goertzelRatio(block, freq, sampleRate) >= minRatio) hits++;
  }
  return { hits, blocks, blockSeconds: blockLen / sampleRate };
}

/** Seconds of `freq` in a 16-bit WAV file (first channel). */
export function toneSeconds(wavPath: string, freq: number, opts: ToneOptions = {}): number {
  const { sampleRate, samples } = readWavMono(wavPath);
  const r = toneBlocks(samples, sampleRate, freq, opts);
  return r.hits * r.blockSeconds;
}

/** Duration of a 16-bit WAV in seconds (reading to end of file). */
export function wavSeconds(wavPath: string): number {
  const { sampleRate, samples } = readWavMono(wavPath);
  return samples.length / sampleRate;
}
