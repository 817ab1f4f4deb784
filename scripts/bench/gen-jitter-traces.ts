/**
 * Generates seeded synthetic packet-delay traces for `portier bench-jitter`, in the format of the
 * shared jitter traces (CSV `seq,send_ms,arrival_ms`, 20 ms frames, empty arrival = lost).
 *
 *   npx tsx scripts/bench/gen-jitter-traces.ts [OUT_DIR]   (default scripts/bench/jitter-traces)
 *
 * Each trace is 180 s (9000 frames). The models are simple and stated here; parameters were chosen
 * to look like the named situation, not to suit the buffer.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FRAMES = 9000;
const FRAME_MS = 20;

/** mulberry32: small seeded PRNG, uniform in [0, 1) */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gauss(u: () => number): number {
  const a = Math.max(u(), 1e-12);
  return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
}

type Arrivals = (number | undefined)[];

export function toCsv(arr: Arrivals): string {
  const lines = ['seq,send_ms,arrival_ms'];
  arr.forEach((a, seq) => lines.push(`${seq},${seq * FRAME_MS},${a === undefined ? '' : a.toFixed(3)}`));
  return lines.join('\n') + '\n';
}

/**
 * Stalls released in bursts (Wi-Fi power save / LTE radio-link stalls): base transit 30 ms plus
 * 0-8 ms uniform jitter, 0.5 % random loss; stalls start at exponential intervals (mean 12 s) and
 * last 100-400 ms; every packet that would have arrived during a stall is held and released when it
 * ends, back to back, 0.5 ms apart.
 */
export function stallBurst(seed: number): Arrivals {
  const u = rng(seed);
  const stalls: [number, number][] = [];
  for (let t = 3000 + -Math.log(1 - u()) * 12000; t < FRAMES * FRAME_MS; t += 1000 - Math.log(1 - u()) * 12000) {
    stalls.push([t, t + 100 + 300 * u()]);
  }
  const out: Arrivals = [];
  const release = new Map<number, number>(); // stall index -> next release time
  for (let seq = 0; seq < FRAMES; seq++) {
    const send = seq * FRAME_MS;
    const jitter = 8 * u();
    if (u() < 0.005) {
      out.push(undefined);
      continue;
    }
    let a = send + 30 + jitter;
    const k = stalls.findIndex(([s, e]) => a >= s && a < e);
    if (k >= 0) {
      const next = release.get(k) ?? stalls[k][1];
      a = next;
      release.set(k, next + 0.5);
    }
    out.push(a);
  }
  return out;
}

/**
 * Route changes: base transit steps 20 -> 80 (40 s) -> 40 (90 s) -> 120 (130 s) -> 30 ms (160 s),
 * plus a 10 s linear ramp 30 -> 60 ms from 15 s; gaussian jitter sigma 3 ms (transit never under
 * base - 5 ms); 0.5 % random loss. Packets on a faster new route overtake the last ones of the old.
 */
export function baseShift(seed: number): Arrivals {
  const u = rng(seed);
  const baseAt = (t: number): number => {
    if (t < 15_000) return 20;
    if (t < 25_000) return 30 + (30 * (t - 15_000)) / 10_000;
    if (t < 40_000) return 20;
    if (t < 90_000) return 80;
    if (t < 130_000) return 40;
    if (t < 160_000) return 120;
    return 30;
  };
  const out: Arrivals = [];
  for (let seq = 0; seq < FRAMES; seq++) {
    const send = seq * FRAME_MS;
    const j = Math.max(-5, 3 * gauss(u));
    out.push(u() < 0.005 ? undefined : send + baseAt(send) + j);
  }
  return out;
}

/** Stationary gaussian jitter: transit 40 ms + N(0, 8 ms), never under 25 ms; 1 % random loss. */
export function gaussStationary(seed: number): Arrivals {
  const u = rng(seed);
  const out: Arrivals = [];
  for (let seq = 0; seq < FRAMES; seq++) {
    const t = Math.max(25, 40 + 8 * gauss(u));
    out.push(u() < 0.01 ? undefined : seq * FRAME_MS + t);
  }
  return out;
}

/**
 * Reordering: transit 25 ms + 0-10 ms uniform; 5 % of packets take 20-50 ms longer and are overtaken
 * by the next one or two; 1 % random loss.
 */
export function reorder(seed: number): Arrivals {
  const u = rng(seed);
  const out: Arrivals = [];
  for (let seq = 0; seq < FRAMES; seq++) {
    let t = 25 + 10 * u();
    if (u() < 0.05) t += 20 + 30 * u();
    out.push(u() < 0.01 ? undefined : seq * FRAME_MS + t);
  }
  return out;
}

/** name -> generator; `kind` tells which bench target applies (see the README next to the traces) */
export const generatedTraces = {
  stall_burst: { kind: 'stationary', make: () => stallBurst(11) },
  base_shift: { kind: 'shifting', make: () => baseShift(22) },
  gauss_stationary: { kind: 'stationary', make: () => gaussStationary(33) },
  reorder: { kind: 'stationary', make: () => reorder(44) },
} as const;

function main(): void {
  const dir = process.argv[2] ?? 'scripts/bench/jitter-traces';
  mkdirSync(dir, { recursive: true });
  for (const [name, g] of Object.entries(generatedTraces)) {
    writeFileSync(join(dir, `${name}.csv`), toCsv(g.make()));
    console.log(`${join(dir, `${name}.csv`)} (${g.kind})`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main();
