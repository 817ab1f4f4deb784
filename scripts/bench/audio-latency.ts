/**
 * Audio path latency of the alsa driver on the virtual sound card:
 * `npx tsx scripts/bench/audio-latency.ts [--rate 16000] [--clicks 20] [--buffer-us 40000] [--period-us 10000]
 *    [--call-codec pcmu] [--call-clicks 8] [--no-call]`.
 *
 * Part 2 (audio-latency-call.ts, skipped with --no-call): the mouth-to-ear round trip of a real
 * call between two portier daemons on the same card, each direction being about half of it.
 *
 * One clock for both ends: AlsaPlayback writes a click train to ALSA default (→ the vspk null
 * sink), AlsaCapture records ALSA default with PULSE_SOURCE=vspk.monitor, so it hears what was
 * played. Both run on a 20 ms tick like the media engine: every tick writes one frame and reads
 * one frame. The round trip of a click is the time from the tick that wrote its first sample to
 * the tick that read it back, corrected by the sample's position within each frame. It is split
 * into the playback share (the driver's measured queue in front of the speaker, stats().latencyMs)
 * and the rest (capture: PulseAudio monitor + arecord period + the capture ring).
 *
 * Needs pulseaudio, pulseaudio-utils, libasound2-plugins and alsa-utils (scripts/test-deps.sh).
 * A machine with a real card can run the same loop with a cable from line out to line in:
 * that part is not scripted here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlsaCapture, AlsaPlayback } from '../../hal/audio/alsa.js';
import { measureCallLatency } from './audio-latency-call.js';

/**
 * A private PulseAudio with a null sink "vspk" and a keep-alive stream (field guide (a)); the
 * tests' VirtualCard does the same, but scripts/ is built without test/.
 */
async function startCard(): Promise<{ env: NodeJS.ProcessEnv; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'portier-latency-'));
  const runtime = join(dir, 'runtime');
  mkdirSync(runtime, { recursive: true });
  chmodSync(runtime, 0o700);
  mkdirSync(join(dir, 'home'));
  writeFileSync(
    join(dir, 'card.pa'),
    'load-module module-native-protocol-unix auth-anonymous=1\nload-module module-null-sink sink_name=vspk rate=48000 channels=1\nset-default-sink vspk\n',
  );
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: runtime, HOME: join(dir, 'home'), PULSE_SERVER: `unix:${join(runtime, 'pulse', 'native')}` };
  delete env.DBUS_SESSION_BUS_ADDRESS;
  const children: ChildProcess[] = [];
  children.push(spawn('pulseaudio', ['-n', '-F', join(dir, 'card.pa'), '--exit-idle-time=-1', '--daemonize=no', '--log-level=error'], { env, stdio: 'ignore' }));
  for (let i = 0; spawnSync('pactl', ['info'], { env }).status !== 0; i++) {
    if (i > 100) throw new Error('pulseaudio did not start (install pulseaudio pulseaudio-utils libasound2-plugins)');
    await sleep(50);
  }
  // without a stream already playing, the monitor loses the head of a new one
  children.push(spawn('pacat', ['-d', 'vspk', '--raw', '--format=s16le', '--rate=48000', '--channels=1', '--latency-msec=10', '/dev/zero'], { env, stdio: 'ignore' }));
  await sleep(300);
  return {
    env,
    async stop() {
      for (const c of children.reverse()) {
        c.kill('SIGTERM');
        if (c.exitCode === null) await new Promise((r) => c.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : def;
}

const RATE = arg('rate', 16000);
const CLICKS = arg('clicks', 20);
const BUFFER_US = arg('buffer-us', 40_000);
const PERIOD_US = arg('period-us', 10_000);
const TICK_MS = 20;
const N = (RATE * TICK_MS) / 1000;
const CLICK_EVERY_TICKS = 25; // 500 ms apart, so a click cannot be mistaken for the next one
const AMP = 16000;
const THRESHOLD = 4000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

async function main(): Promise<void> {
  const card = await startCard();
  const common = { device: 'default', sampleRate: RATE, bufferTimeUs: BUFFER_US, periodTimeUs: PERIOD_US };
  const pb = new AlsaPlayback({ ...common, env: card.env });
  const cap = new AlsaCapture({ ...common, env: { ...card.env, PULSE_SOURCE: 'vspk.monitor' } });
  const roundTrips: number[] = [];
  const playbackQueue: number[] = [];
  const captureRing: number[] = [];
  try {
    await pb.open();
    await cap.open();
    const totalTicks = (CLICKS + 2) * CLICK_EVERY_TICKS;
    // per click: the tick and in-frame position of its first written sample
    const written: { tick: number; pos: number }[] = [];
    let armed = false; // waiting for the onset of the last written click
    let next = performance.now();
    for (let tick = 0; tick < totalTicks; tick++) {
      const frame = new Int16Array(N);
      if (tick >= CLICK_EVERY_TICKS && tick % CLICK_EVERY_TICKS === 0 && written.length < CLICKS) {
        const pos = Math.floor(N / 3);
        const len = Math.round(RATE / 100); // 10 ms burst of 1 kHz
        for (let i = 0; i < len && pos + i < N; i++) frame[pos + i] = Math.round(AMP * Math.sin((2 * Math.PI * 1000 * i) / RATE));
        written.push({ tick, pos });
        armed = true;
      }
      pb.write(frame);
      playbackQueue.push(pb.stats().latencyMs);
      const got = cap.read(N);
      captureRing.push(cap.stats().bufferedMs);
      if (armed) {
        const at = got.findIndex((s) => Math.abs(s) > THRESHOLD);
        if (at >= 0) {
          const w = written[written.length - 1]!;
          roundTrips.push((tick - w.tick) * TICK_MS + ((at - w.pos) * 1000) / RATE);
          armed = false;
        }
      }
      next += TICK_MS;
      await sleep(Math.max(0, next - performance.now()));
    }
    const ps = pb.stats();
    const cs = cap.stats();
    const rt = median(roundTrips);
    const pq = median(playbackQueue.slice(CLICK_EVERY_TICKS));
    const result = {
      rate: RATE,
      buffer_us: BUFFER_US,
      period_us: PERIOD_US,
      clicks_sent: written.length,
      clicks_found: roundTrips.length,
      round_trip_ms: { median: rt, min: Math.min(...roundTrips), max: Math.max(...roundTrips) },
      playback_ms: { median_queue: pq, avg: ps.latencyAvgMs, max: ps.latencyMaxMs },
      capture_ms: { median_round_trip_minus_playback: rt - pq, median_ring: median(captureRing.slice(CLICK_EVERY_TICKS)) },
      counters: {
        playback: { underruns: ps.underruns, droppedFrames: ps.droppedFrames, deviceXruns: ps.deviceXruns, restarts: ps.restarts },
        capture: { underruns: cs.underruns, overruns: cs.overruns, trimmedSamples: cs.trimmedSamples, deviceXruns: cs.deviceXruns, restarts: cs.restarts },
      },
    };
    console.log(JSON.stringify({ alsa_loop: result }, null, 2));
    if (roundTrips.length < CLICKS / 2) process.exitCode = 1;
  } finally {
    await cap.close();
    await pb.close();
    await card.stop();
  }
  if (!process.argv.includes('--no-call')) {
    const i = process.argv.indexOf('--call-codec');
    const codec = i > 0 ? process.argv[i + 1]! : 'pcmu';
    const call = await measureCallLatency({ codec, clicks: arg('call-clicks', 8), basePort: 41000, sampleRate: RATE });
    console.log(JSON.stringify({ call }, null, 2));
    if (call.found < call.clicks / 2) process.exitCode = 1;
  }
}

main().then(
  () => process.exit(),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
