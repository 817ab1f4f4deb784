/**
 * Tone detection with the Goertzel algorithm, as the project's audio checks do it: split the PCM
 * into 100 ms blocks (10 Hz bins), take the power at bin k = round(f * N / rate), and call a block
 * a tone block when 2 |X(k)|^2 / N divided by the block energy is at least 0.5 and its RMS is above
 * 1 % of full scale. The result is the seconds of tone found.
 */

/** |X(k)|^2 of x[start .. start+n) at bin k (k may be fractional), by the Goertzel recurrence. */
export function goertzelPower(x: ArrayLike<number>, start: number, n: number, k: number): number {
  const w = (2 * Math.PI * k) / n;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = x[start + i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

export interface BlockTone {
  /** fraction of the block's energy at the tone's bin (1 for a pure tone on the bin) */
  ratio: number;
  /** block RMS as a fraction of full scale */
  rms: number;
}

/** Measure one block. */
export function blockTone(x: ArrayLike<number>, start: number, n: number, freqHz: number, rate: number): BlockTone {
  let energy = 0;
  for (let i = 0; i < n; i++) energy += x[start + i] * x[start + i];
  if (energy === 0) return { ratio: 0, rms: 0 };
  const k = Math.round((freqHz * n) / rate);
  const p = goertzelPower(x, start, n, k);
  return { ratio: (2 * p) / n / energy, rms: Math.sqrt(energy / n) / 32768 };
}

export interface DetectOptions {
  /** block length, ms (default 100) */
  blockMs?: number;
  /** energy fraction at the bin needed (default 0.5) */
  minRatio?: number;
  /** RMS needed, as a fraction of full scale (default 0.01) */
  minRms?: number;
}

export interface ToneDetection {
  /** seconds of tone found (tone blocks x block length) */
  seconds: number;
  toneBlocks: number;
  blocks: number;
  /** the longest run of consecutive tone blocks, seconds */
  longestRunSeconds: number;
}

/** How much of `pcm` (mono, `rate` Hz) carries a tone at `freqHz`. */
export function detectTone(pcm: ArrayLike<number>, rate: number, freqHz: number, opts: DetectOptions = {}): ToneDetection {
  const n = Math.max(1, Math.round((rate * (opts.blockMs ?? 100)) / 1000));
  const minRatio = opts.minRatio ?? 0.5;
  const minRms = opts.minRms ?? 0.01;
  const blocks = Math.floor(pcm.length / n);
  let toneBlocks = 0;
  let run = 0;
  let longest = 0;
  for (let b = 0; b < blocks; b++) {
    const t = blockTone(pcm, b * n, n, freqHz, rate);
    if (t.rms > minRms && t.ratio >= minRatio) {
      toneBlocks++;
      run++;
      if (run > longest) longest = run;
    } else run = 0;
  }
  const sec = n / rate;
  return { seconds: toneBlocks * sec, toneBlocks, blocks, longestRunSeconds: longest * sec };
}
