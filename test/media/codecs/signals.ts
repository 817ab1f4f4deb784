/** Deterministic test signals and quality measures for the codec tests. */

/** A small deterministic PRNG (LCG) so signals are the same on every run. */
export function prng(seed = 1): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

/** Linear sine sweep from f0 to f1 over `seconds`, amplitude `amp`. */
export function sweep(rate: number, seconds: number, f0: number, f1: number, amp = 12000): Int16Array {
  const n = Math.round(rate * seconds);
  const out = new Int16Array(n);
  const k = (f1 - f0) / seconds;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    out[i] = Math.round(amp * Math.sin(2 * Math.PI * (f0 * t + (k / 2) * t * t)));
  }
  return out;
}

/**
 * Speech-like: a gliding 100..220 Hz fundamental with 1/h-weighted harmonics up to ~4 kHz, a
 * syllable-rate (4 Hz) envelope, and a little noise.
 */
export function speechLike(rate: number, seconds: number, amp = 9000): Int16Array {
  const n = Math.round(rate * seconds);
  const out = new Int16Array(n);
  const rnd = prng(7);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const f0 = 160 + 60 * Math.sin(2 * Math.PI * 0.7 * t);
    phase += (2 * Math.PI * f0) / rate;
    let v = 0;
    for (let h = 1; h * f0 < Math.min(4000, rate / 2 - 200); h++) v += Math.sin(h * phase) / h;
    const env = 0.35 + 0.65 * Math.abs(Math.sin(2 * Math.PI * 2 * t));
    out[i] = Math.max(-32768, Math.min(32767, Math.round(amp * 0.5 * env * v + 300 * (rnd() - 0.5))));
  }
  return out;
}

/** SNR in dB of `test` against `ref`, with `test` delayed by `lag` samples, skipping `skip` at the start. */
export function snrDb(ref: Int16Array, test: Int16Array, lag = 0, skip = 0): number {
  let sig = 0;
  let err = 0;
  const n = Math.min(ref.length, test.length - lag);
  for (let i = skip; i < n; i++) {
    sig += ref[i] * ref[i];
    const e = test[i + lag] - ref[i];
    err += e * e;
  }
  return 10 * Math.log10(sig / Math.max(err, 1e-9));
}

/** The best SNR over lags 0..maxLag (codec delay is not known a priori), with that lag. */
export function bestSnr(ref: Int16Array, test: Int16Array, maxLag = 64, skip = 0): { snr: number; lag: number } {
  let best = { snr: -Infinity, lag: 0 };
  for (let lag = 0; lag <= maxLag; lag++) {
    const snr = snrDb(ref, test, lag, skip);
    if (snr > best.snr) best = { snr, lag };
  }
  return best;
}

/** Split into frames of `n` samples (the last one may be short). */
export function frames(pcm: Int16Array, n: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i < pcm.length; i += n) out.push(pcm.subarray(i, Math.min(pcm.length, i + n)));
  return out;
}

export function concat<T extends Int16Array | Uint8Array>(parts: T[], make: (n: number) => T): T {
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = make(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
