/**
 * Tone checks on lab recordings (field guide "Checking audio"): 100 ms blocks, Goertzel power at
 * the tone's bin relative to the block energy; a block has the tone when its RMS is above 1% of
 * full scale and the ratio is >= 0.5. The detector itself is the daemon's (daemon/media/goertzel.ts);
 * this file adapts it to WAV files and the lab's names.
 */
import { detectTone, blockTone, type DetectOptions } from '../../../daemon/media/goertzel.js';
import { readWavMono } from './wav.js';

export type ToneOptions = DetectOptions;

/** 2|X(k)|^2 / N at bin k = round(freq*N/rate), divided by the block energy (0..~1). */
export function goertzelRatio(block: ArrayLike<number>, freq: number, sampleRate: number): number {
  return blockTone(block, 0, block.length, freq, sampleRate).ratio;
}

/** Number of blocks that carry `freq`, and the block length in seconds. */
export function toneBlocks(samples: ArrayLike<number>, sampleRate: number, freq: number, opts: ToneOptions = {}): { hits: number; blocks: number; blockSeconds: number } {
  const d = detectTone(samples, sampleRate, freq, opts);
  const blockLen = Math.max(1, Math.round((sampleRate * (opts.blockMs ?? 100)) / 1000)); // as detectTone splits
  return { hits: d.toneBlocks, blocks: d.blocks, blockSeconds: blockLen / sampleRate };
}

/** Seconds of `freq` in a 16-bit WAV file (first channel). */
export function toneSeconds(wavPath: string, freq: number, opts: ToneOptions = {}): number {
  const { sampleRate, samples } = readWavMono(wavPath);
  return detectTone(samples, sampleRate, freq, opts).seconds;
}

/** Duration of a 16-bit WAV in seconds (reading to end of file). */
export function wavSeconds(wavPath: string): number {
  const { sampleRate, samples } = readWavMono(wavPath);
  return samples.length / sampleRate;
}
