/**
 * Codec, resampler and media-clock benchmark: `npx tsx scripts/bench/codecs.ts [--seconds N]`.
 * Prints frames per CPU-second for encode and decode of 20 ms frames, the resampler's frames/s per
 * conversion, and the media clock's lateness and drift against the real clock.
 */
import { performance } from 'node:perf_hooks';
import { createCodec, CODECS, frameSamples } from '../../daemon/media/codecs/registry.js';
import { MediaClock } from '../../daemon/media/media-clock.js';
import { Resampler } from '../../daemon/util/pcm/resample.js';
import type { CodecName } from '../../daemon/media/types.js';
import { systemClock } from '../../daemon/util/clock.js';

const argSeconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]);
const BUDGET_MS = Number.isFinite(argSeconds) && argSeconds > 0 ? argSeconds * 1000 : 1000;

function speech(rate: number, n: number): Int16Array {
  const out = new Int16Array(n);
  let ph = 0;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    ph += (2 * Math.PI * (160 + 60 * Math.sin(2 * Math.PI * 0.7 * t))) / rate;
    let v = 0;
    for (let h = 1; h < 12; h++) v += Math.sin(h * ph) / h;
    out[i] = Math.round(6000 * v * (0.4 + 0.6 * Math.abs(Math.sin(4 * Math.PI * t))));
  }
  return out;
}

/** Run fn repeatedly for about BUDGET_MS; return calls per CPU-second. */
function rate(fn: () => void): number {
  for (let i = 0; i < 50; i++) fn(); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < BUDGET_MS) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
  }
  const cpu = process.cpuUsage(cpu0);
  return n / ((cpu.user + cpu.system) / 1e6);
}

const fmt = (v: number) => Math.round(v).toLocaleString('en-US');

console.log(`portier codec bench (node ${process.version}, ${process.arch}), ${BUDGET_MS} ms per figure`);
console.log('\n20 ms frames per CPU-second (realtime factor = frames/s / 50)');
for (const name of ['pcmu', 'pcma', 'g722', 'opus'] as CodecName[]) {
  const enc = createCodec(name);
  const dec = createCodec(name);
  const n = frameSamples(CODECS[name], 20);
  const pcm = speech(CODECS[name].sampleRate, n * 50);
  const frames = Array.from({ length: 50 }, (_, i) => pcm.subarray(i * n, (i + 1) * n));
  const payloads = frames.map((f) => enc.encode(f));
  let i = 0;
  const e = rate(() => enc.encode(frames[i++ % 50]));
  let j = 0;
  const d = rate(() => dec.decode(payloads[j++ % 50]));
  let plc = 0;
  if (dec.conceal) plc = rate(() => dec.conceal!(n));
  console.log(`  ${name.padEnd(5)} encode ${fmt(e).padStart(10)}  decode ${fmt(d).padStart(10)}${plc ? `  conceal ${fmt(plc).padStart(8)}` : ''}`);
  enc.close();
  dec.close();
}

console.log('\nresampler: 20 ms frames per CPU-second (taps per output sample)');
for (const [from, to] of [[8000, 48000], [48000, 8000], [16000, 48000], [48000, 16000], [44100, 48000], [44100, 8000]] as const) {
  const r = new Resampler(from, to);
  const frame = speech(from, Math.round(from / 50));
  const f = rate(() => r.process(frame));
  console.log(`  ${String(from).padStart(5)} -> ${String(to).padEnd(5)} ${fmt(f).padStart(10)}  (${r.tapsPerOutput} taps)`);
}

// media clock against the real clock
const clockSeconds = Math.max(2, Math.round((BUDGET_MS / 1000) * 3));
console.log(`\nmedia clock: 20 ms ticks for ${clockSeconds} s on the real clock`);
await new Promise<void>((resolve) => {
  const mc = new MediaClock({ clock: systemClock, intervalMs: 20 });
  const start = performance.now();
  let last = 0;
  let lastAt = 0;
  mc.onTick((i) => {
    last = i;
    lastAt = performance.now();
    if (lastAt - start >= clockSeconds * 1000) {
      mc.stop();
      const s = mc.stats();
      const ideal = start + (last + 1) * 20;
      console.log(`  ticks ${s.ticks}, last index ${last}, drift of the last tick ${(lastAt - ideal).toFixed(2)} ms`);
      console.log(`  lateness: mean ${s.meanLateMs.toFixed(2)} ms, max ${s.maxLateMs.toFixed(2)} ms, >5 ms ${s.lateTicks}, resyncs ${s.resyncs}`);
      resolve();
    }
  });
  // keep the process alive: systemClock's timers are unref'd
  const keep = setInterval(() => {}, 1000);
  mc.start();
  const done = setInterval(() => {
    if (!mc.stats().running) {
      clearInterval(keep);
      clearInterval(done);
    }
  }, 100);
});
