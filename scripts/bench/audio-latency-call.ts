/**
 * Mouth-to-ear latency of a portier call on the virtual sound card, used by audio-latency.ts.
 *
 * Two daemons in this process call each other directly over loopback: A (the door) captures
 * `pulse:vX.monitor` and plays to `pulse:vX`; B (the far end) captures `pulse:vL.monitor` and plays
 * to `pulse:vL`, so whatever B hears it sends back. A click played into vX therefore comes back
 * into vX one round trip later (A capture → RTP → B jitter buffer → B speaker → B microphone →
 * RTP → A jitter buffer → A speaker), and one recording of vX.monitor shows both, on one clock.
 * vL's volume is lowered so the echo train dies out. Both ends run the same code, so each
 * direction is about half the round trip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfigText, formatIssues } from '../../config/load.js';
import { startDaemon, type Daemon } from '../../daemon/main.js';

const RATE = 48000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface CallLatencyResult {
  codec: string;
  clicks: number;
  found: number;
  round_trip_ms: { median: number; min: number; max: number };
  one_way_ms_estimate: number;
  /** the door's jitter buffer at the end (part of the one-way delay) */
  door_jitter_buffer?: { depth_frames?: number; target_delay_ms?: number };
}

function pa(env: NodeJS.ProcessEnv, args: string[]): void {
  const r = spawnSync('pactl', args, { env });
  if (r.status !== 0) throw new Error(`pactl ${args.join(' ')}: ${String(r.stderr)}`);
}

async function daemon(dir: string, name: string, toml: string): Promise<{ d: Daemon; api: (p: string, init?: RequestInit) => Promise<Response> }> {
  const state = join(dir, name);
  mkdirSync(state);
  const r = loadConfigText(`state_dir = "${state}"\n${toml}`, { env: {} });
  if (!r.ok) throw new Error(formatIssues(r.issues));
  const token = `bench-token-${name}-0123456789`;
  r.config.panel.token = token;
  const d = await startDaemon({ config: r.config, log: pino({ level: 'silent' }) });
  const api = (p: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${d.httpPort}${p}`, { ...init, headers: { Authorization: `Bearer ${token}` } });
  return { d, api };
}

export async function measureCallLatency(opts: { codec: string; clicks: number; basePort: number; sampleRate: number }): Promise<CallLatencyResult> {
  const dir = mkdtempSync(join(tmpdir(), 'portier-call-latency-'));
  const runtime = join(dir, 'runtime');
  mkdirSync(runtime, { recursive: true });
  chmodSync(runtime, 0o700);
  mkdirSync(join(dir, 'home'));
  writeFileSync(
    join(dir, 'card.pa'),
    [
      'load-module module-native-protocol-unix auth-anonymous=1',
      `load-module module-null-sink sink_name=vX rate=${RATE} channels=1`,
      `load-module module-null-sink sink_name=vL rate=${RATE} channels=1`,
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: runtime, HOME: join(dir, 'home'), PULSE_SERVER: `unix:${join(runtime, 'pulse', 'native')}` };
  delete env.DBUS_SESSION_BUS_ADDRESS;
  const children: ChildProcess[] = [];
  const savedPulse = process.env.PULSE_SERVER;
  let a: Awaited<ReturnType<typeof daemon>> | undefined;
  let b: Awaited<ReturnType<typeof daemon>> | undefined;
  try {
    children.push(spawn('pulseaudio', ['-n', '-F', join(dir, 'card.pa'), '--exit-idle-time=-1', '--daemonize=no', '--log-level=error'], { env, stdio: 'ignore' }));
    for (let i = 0; spawnSync('pactl', ['info'], { env }).status !== 0; i++) {
      if (i > 100) throw new Error('pulseaudio did not start');
      await sleep(50);
    }
    for (const sink of ['vX', 'vL']) {
      children.push(spawn('pacat', ['-d', sink, '--raw', '--format=s16le', `--rate=${RATE}`, '--channels=1', '--latency-msec=10', '/dev/zero'], { env, stdio: 'ignore' }));
    }
    pa(env, ['set-sink-volume', 'vL', '60%']); // ≈ −13 dB per pass: the echo train dies out
    process.env.PULSE_SERVER = env.PULSE_SERVER; // the daemons' arecord/aplay children
    const pA = opts.basePort;
    const pB = opts.basePort + 100;
    const common = (sip: number) => `
[sip]
listen = "127.0.0.1:${sip}"
allow_direct_calls = true
[media]
rtp_ports = "${sip + 10}-${sip + 40}"
codecs = ["${opts.codec}"]
[panel]
listen = "127.0.0.1:0"
`;
    b = await daemon(dir, 'b', `${common(pB)}
[audio]
capture = "alsa:pulse:vL.monitor"
playback = "alsa:pulse:vL"
sample_rate = ${opts.sampleRate}
[intercom]
answer_delay_ms = 0
`);
    a = await daemon(dir, 'a', `${common(pA)}
[audio]
capture = "alsa:pulse:vX.monitor"
playback = "alsa:pulse:vX"
sample_rate = ${opts.sampleRate}
[intercom]
ringback = false
[[buttons]]
id = "door"
call = ["sip:b@127.0.0.1:${pB}"]
`);
    const aApi = a.api;
    await aApi('/api/buttons/door/press', { method: 'POST' });
    for (let i = 0; ; i++) {
      const s = (await (await aApi('/api/status')).json()) as { calls: { state: string }[] };
      if (s.calls[0]?.state === 'connected') break;
      if (i > 100) throw new Error(`call did not connect: ${JSON.stringify(s.calls)}`);
      await sleep(50);
    }
    await sleep(1000); // jitter buffers settle
    // the clicks: 10 ms of 1 kHz at half scale, 1.5 s apart
    const gap = Math.round(1.5 * RATE);
    const clicks = new Int16Array(gap * (opts.clicks + 1));
    const starts: number[] = [];
    for (let k = 0; k < opts.clicks; k++) {
      const at = gap / 2 + k * gap;
      starts.push(at);
      for (let i = 0; i < RATE / 100; i++) clicks[at + i] = Math.round(16000 * Math.sin((2 * Math.PI * 1000 * i) / RATE));
    }
    const clickFile = join(dir, 'clicks.raw');
    writeFileSync(clickFile, Buffer.from(clicks.buffer));
    const recFile = join(dir, 'rec.raw');
    const rec = spawn('parec', ['-d', 'vX.monitor', '--raw', '--format=s16le', `--rate=${RATE}`, '--channels=1', '--latency-msec=10', recFile], { env, stdio: 'ignore' });
    children.push(rec);
    await sleep(300);
    const play = spawn('pacat', ['-d', 'vX', '--raw', '--format=s16le', `--rate=${RATE}`, '--channels=1', '--latency-msec=10', clickFile], { env, stdio: 'ignore' });
    await new Promise((r) => play.once('exit', r));
    await sleep(1000);
    rec.kill('SIGTERM');
    await new Promise((r) => rec.once('exit', r));
    const status = (await (await aApi('/api/status')).json()) as { calls: { media?: { jitter_buffer?: { depthFrames?: number; targetDelayMs?: number } } }[] };
    const jb = status.calls[0]?.media?.jitter_buffer;
    const buf = readFileSync(recFile);
    const x = new Int16Array(buf.buffer, buf.byteOffset, Math.floor(buf.length / 2));
    // each click: a strong onset after quiet; its echo: the first sample above the echo threshold 30 ms..1 s later
    const rtts: number[] = [];
    let i = 0;
    while (i < x.length) {
      if (Math.abs(x[i]!) > 8000) {
        const t0 = i;
        const from = t0 + Math.round(0.03 * RATE);
        const to = Math.min(x.length, t0 + RATE);
        let echo = -1;
        for (let j = from; j < to; j++) {
          if (Math.abs(x[j]!) > 1200) {
            echo = j;
            break;
          }
        }
        if (echo > 0) rtts.push(((echo - t0) * 1000) / RATE);
        i = t0 + Math.round(1.2 * RATE); // past this click's echoes
      } else i++;
    }
    const sorted = [...rtts].sort((p, q) => p - q);
    const median = sorted.length ? sorted[Math.floor(sorted.length / 2)]! : NaN;
    return {
      codec: opts.codec,
      clicks: starts.length,
      found: rtts.length,
      round_trip_ms: { median, min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN },
      one_way_ms_estimate: median / 2,
      door_jitter_buffer: jb ? { depth_frames: jb.depthFrames, target_delay_ms: jb.targetDelayMs } : undefined,
    };
  } finally {
    await a?.d.close();
    await b?.d.close();
    if (savedPulse === undefined) delete process.env.PULSE_SERVER;
    else process.env.PULSE_SERVER = savedPulse;
    for (const c of children.reverse()) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        await new Promise((r) => c.once('exit', r));
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
