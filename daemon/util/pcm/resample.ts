/**
 * Streaming sample-rate conversion by a rational factor L/M with a polyphase windowed-sinc
 * (Kaiser) low-pass: 8k <-> 16k <-> 48k for the codecs, and odd ratios such as 44.1k -> 48k for
 * WAV files. State (the last few input samples and the output phase) carries across calls, so
 * 20 ms frames join without clicks. One output sample costs `tapsPerOutput` multiply-adds.
 */
import { PortierError } from '../errors.js';

export interface ResamplerOptions {
  /**
   * Filter length in input samples per side of the lower rate's period (default 32). Higher is
   * sharper and costlier: the cost per output sample is about taps * max(L, M) / L.
   */
  taps?: number;
  /** pass-band edge as a fraction of the lower Nyquist frequency (default 0.9) */
  cutoff?: number;
  /** Kaiser window beta (default 8: about 80 dB stop-band) */
  beta?: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

/** Largest interpolation factor we build tables for (44100 <-> 8000 needs 441). */
const MAX_PHASES = 4096;

export class Resampler {
  readonly inRate: number;
  readonly outRate: number;
  /** upsampling (L) and downsampling (M) factors, reduced */
  readonly up: number;
  readonly down: number;
  /** taps per polyphase branch = multiply-adds per output sample */
  readonly tapsPerOutput: number;
  private readonly delaySamples: number;
  /** coefficients by phase: coeffs[p * K + k] */
  private readonly coeffs: Float32Array;
  /** the last K-1 input samples followed by room for the next chunk */
  private hist: Float32Array;
  /** position of the next output, in 1/L input samples, relative to the current chunk start */
  private t = 0;

  constructor(inRate: number, outRate: number, opts: ResamplerOptions = {}) {
    if (!Number.isInteger(inRate) || !Number.isInteger(outRate) || inRate <= 0 || outRate <= 0) {
      throw new PortierError('MEDIA_ERROR', `Cannot resample ${inRate} Hz to ${outRate} Hz: rates must be positive integers.`);
    }
    const g = gcd(inRate, outRate);
    this.inRate = inRate;
    this.outRate = outRate;
    this.up = outRate / g;
    this.down = inRate / g;
    if (this.up > MAX_PHASES) {
      throw new PortierError('MEDIA_ERROR', `Cannot resample ${inRate} Hz to ${outRate} Hz: the ratio ${this.up}/${this.down} is too fine.`);
    }
    const L = this.up;
    const M = this.down;
    const taps = Math.max(4, Math.round(opts.taps ?? 32));
    const K = Math.ceil((taps * Math.max(L, M)) / L);
    this.tapsPerOutput = K;
    // prototype low-pass at the upsampled rate L * inRate, cut at the lower Nyquist. Its centre
    // sits on a multiple of M, so the delay is a whole number of output samples (and the one-shot
    // resample() can remove it exactly); taps beyond 2 * mid stay zero.
    const N = K * L;
    const mid = M * Math.floor((N - 1) / 2 / M);
    this.delaySamples = mid / M;
    const fc = ((opts.cutoff ?? 0.9) * 0.5) / Math.max(L, M); // cycles per upsampled sample
    const beta = opts.beta ?? 8;
    const i0b = besselI0(beta);
    const h = new Float64Array(N);
    for (let i = 0; i <= 2 * mid && i < N; i++) {
      const x = i - mid;
      const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
      const r = x / (mid + 1);
      h[i] = sinc * (besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0b);
    }
    // DC gain L overall (each phase sums to about 1)
    let sum = 0;
    for (let i = 0; i < N; i++) sum += h[i];
    const gain = L / sum;
    this.coeffs = new Float32Array(N);
    for (let p = 0; p < L; p++) for (let k = 0; k < K; k++) this.coeffs[p * K + k] = h[p + k * L] * gain;
    this.hist = new Float32Array(K - 1);
  }

  /** The filter's delay in whole output samples (the one-shot resample() removes it). */
  get delay(): number {
    return this.delaySamples;
  }

  /** Output samples the next process() call with `n` input samples will return. */
  outputLength(n: number): number {
    const end = n * this.up;
    return this.t >= end ? 0 : Math.ceil((end - this.t) / this.down);
  }

  /** Convert one chunk; any length works, state carries over to the next call. */
  process(input: Int16Array | Float32Array): Int16Array<ArrayBuffer> {
    const K = this.tapsPerOutput;
    const L = this.up;
    const M = this.down;
    const n = input.length;
    const buf = new Float32Array(K - 1 + n);
    buf.set(this.hist);
    for (let i = 0; i < n; i++) buf[K - 1 + i] = input[i];
    const out = new Int16Array(this.outputLength(n));
    const c = this.coeffs;
    let t = this.t;
    for (let j = 0; j < out.length; j++, t += M) {
      const base = Math.floor(t / L);
      const phase = t - base * L;
      // x[base - k] lives at buf[K - 1 + base - k]
      const top = K - 1 + base;
      const off = phase * K;
      let acc = 0;
      for (let k = 0; k < K; k++) acc += c[off + k] * buf[top - k];
      const v = Math.round(acc);
      out[j] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    this.t = t - n * L;
    this.hist = buf.slice(buf.length - (K - 1));
    return out;
  }

  /** Push the filter's tail out (as if silence followed). */
  flush(): Int16Array<ArrayBuffer> {
    return this.process(new Float32Array(this.tapsPerOutput));
  }

  reset(): void {
    this.hist.fill(0);
    this.t = 0;
  }
}

/**
 * Resample a whole buffer: the filter delay is removed and the tail flushed, so the output lines
 * up with the input and has round(n * out / in) samples.
 */
export function resample(pcm: Int16Array, inRate: number, outRate: number, opts?: ResamplerOptions): Int16Array<ArrayBuffer> {
  if (inRate === outRate) return pcm.slice();
  const r = new Resampler(inRate, outRate, opts);
  const want = Math.round((pcm.length * outRate) / inRate);
  const a = r.process(pcm);
  const b = r.flush();
  const all = new Int16Array(a.length + b.length);
  all.set(a);
  all.set(b, a.length);
  const skip = r.delay;
  const out = new Int16Array(want);
  out.set(all.subarray(skip, Math.min(all.length, skip + want)));
  return out;
}
