import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlsaCapture, AlsaPlayback, alsaArgs, classifyAlsaExit } from '../../hal/audio/alsa.js';
import { SampleRing } from '../../hal/audio/alsa-ring.js';
import { parseAlsaDeviceList } from '../../hal/audio/alsa-devices.js';
import { liveChildCount } from '../../hal/child-supervisor.js';
import { PortierError } from '../../daemon/util/errors.js';
import type { Clock } from '../../daemon/util/clock.js';

const FIX = resolve(__dirname, '../fixtures/alsa');
let dir: string;
let env: NodeJS.ProcessEnv;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portier-alsa-'));
  for (const t of ['arecord', 'aplay']) symlinkSync(join(FIX, 'fake-alsa'), join(dir, t));
  env = { ...process.env, FAKE_ALSA_DIR: FIX, FAKE_ALSA_LOG: join(dir, 'argv.log'), FAKE_ALSA_RUNS: join(dir, 'runs.log') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function pcmFile(samples: number[]): string {
  const p = join(dir, 'in.raw');
  const b = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => b.writeInt16LE(s, i * 2));
  writeFileSync(p, b);
  return p;
}
const runs = () => (existsSync(join(dir, 'runs.log')) ? readFileSync(join(dir, 'runs.log'), 'utf8').trim().split('\n').length : 0);

describe('SampleRing', () => {
  it('joins samples split across chunks at odd byte boundaries', () => {
    const r = new SampleRing(16);
    const b = Buffer.alloc(6);
    b.writeInt16LE(-2, 0);
    b.writeInt16LE(300, 2);
    b.writeInt16LE(-32768, 4);
    r.pushBytes(b.subarray(0, 3));
    r.pushBytes(b.subarray(3));
    expect([...r.read(3)]).toEqual([-2, 300, -32768]);
    expect(r.underruns).toBe(0);
  });
  it('pads a short read with silence and counts an underrun', () => {
    const r = new SampleRing(8);
    r.pushSample(5);
    expect([...r.read(3)]).toEqual([5, 0, 0]);
    expect(r.underruns).toBe(1);
    expect(r.paddedSamples).toBe(2);
  });
  it('drops the oldest samples on overflow and counts an overrun', () => {
    const r = new SampleRing(4);
    const b = Buffer.alloc(12);
    for (let i = 0; i < 6; i++) b.writeInt16LE(i + 1, i * 2);
    r.pushBytes(b);
    expect(r.overruns).toBe(1);
    expect(r.droppedSamples).toBe(2);
    expect([...r.read(4)]).toEqual([3, 4, 5, 6]);
  });
});

describe('alsa argument building and error classification', () => {
  it('builds raw S16_LE mono arguments with explicit buffer and period', () => {
    expect(alsaArgs({ device: 'plughw:1,0', sampleRate: 16000, bufferTimeUs: 60000, periodTimeUs: 20000 })).toEqual(
      ['-q', '-D', 'plughw:1,0', '-t', 'raw', '-f', 'S16_LE', '-r', '16000', '-c', '1', '--buffer-time=60000', '--period-time=20000'],
    );
  });
  it('maps the recorded "audio open error" of a missing card to AUDIO_DEVICE_MISSING naming the device', () => {
    const stderr = readFileSync(join(FIX, 'arecord-missing.stderr'), 'utf8');
    const err = classifyAlsaExit('arecord', 'default', { code: 1, signal: null, stderr });
    expect(err?.code).toBe('AUDIO_DEVICE_MISSING');
    expect(err?.message).toContain('"default"');
    expect(err?.message).toContain('No such file or directory');
  });
  it('maps "Device or resource busy" to AUDIO_DEVICE_BUSY', () => {
    const err = classifyAlsaExit('aplay', 'hw:1,0', { code: 1, signal: null, stderr: 'aplay: main:831: audio open error: Device or resource busy\n' });
    expect(err?.code).toBe('AUDIO_DEVICE_BUSY');
    expect(err?.message).toContain('"hw:1,0"');
  });
  it('leaves an unrelated exit unclassified', () => {
    expect(classifyAlsaExit('arecord', 'default', { code: 1, signal: null, stderr: 'read error: Input/output error' })).toBeNull();
  });
});

describe('parseAlsaDeviceList', () => {
  it('parses the recorded arecord -L output into names and descriptions', () => {
    const list = parseAlsaDeviceList(readFileSync(join(FIX, 'arecord-L.stdout'), 'utf8'));
    expect(list[0]).toEqual({ name: 'null', description: 'Discard all samples (playback) or generate zero samples (capture)' });
    expect(list.map((d) => d.name)).toEqual(expect.arrayContaining(['null', 'pulse', 'default']));
    expect(list.every((d) => !/\s/.test(d.name))).toBe(true);
  });
  it('keeps multi-line descriptions and skips ALSA lib noise', () => {
    const list = parseAlsaDeviceList('ALSA lib conf.c:1: x\nplughw:CARD=Device,DEV=0\n    USB Audio Device, USB Audio\n    Hardware device with all software conversions\n');
    expect(list).toEqual([{ name: 'plughw:CARD=Device,DEV=0', description: 'USB Audio Device, USB Audio — Hardware device with all software conversions' }]);
  });
  it('never throws on garbage', () => {
    expect(parseAlsaDeviceList('\u0000\n   \n\t\tx')).toEqual([]);
  });
});

describe('AlsaCapture with a fake arecord', () => {
  it('runs arecord with the device and rate and delivers its samples in order, then silence', async () => {
    env.FAKE_ARECORD_PCM = pcmFile([1, -1, 1000, -1000, 32767, -32768]);
    const cap = new AlsaCapture({ device: 'plughw:1,0', sampleRate: 8000, env, command: join(dir, 'arecord') });
    await cap.open();
    await until(() => cap.stats().bufferedMs > 0);
    await sleep(30);
    expect([...cap.read(8)]).toEqual([1, -1, 1000, -1000, 32767, -32768, 0, 0]);
    expect(cap.stats().underruns).toBe(1);
    expect(readFileSync(env.FAKE_ALSA_LOG!, 'utf8')).toContain('arecord -q -D plughw:1,0 -t raw -f S16_LE -r 8000 -c 1 --buffer-time=40000 --period-time=10000');
    await cap.close();
    expect(cap.stats().running).toBe(false);
  });

  it('keeps only the newest audio while nobody reads, so a call starts with one period of latency', async () => {
    env.FAKE_ARECORD_PCM = pcmFile(Array.from({ length: 100 }, (_, i) => i));
    // 1 kHz: the ring holds 50 samples, a period is 10
    const cap = new AlsaCapture({ device: 'default', sampleRate: 1000, ringMs: 50, env, command: join(dir, 'arecord') });
    await cap.open();
    await until(() => cap.stats().bufferedMs >= 50);
    await sleep(30);
    expect([...cap.read(10)]).toEqual([80, 81, 82, 83, 84, 85, 86, 87, 88, 89]);
    expect(cap.stats()).toMatchObject({ overruns: 0, droppedSamples: 0, trimmedSamples: 30, bufferedMs: 10 });
    await cap.close();
  });

  it('fails open() with AUDIO_DEVICE_MISSING naming the device when there is no card', async () => {
    env.FAKE_ALSA_MODE = 'missing';
    const cap = new AlsaCapture({ device: 'default', sampleRate: 8000, env, command: join(dir, 'arecord'), startupGraceMs: 5000 });
    const err = await cap.open().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(PortierError);
    expect((err as PortierError).code).toBe('AUDIO_DEVICE_MISSING');
    expect((err as PortierError).message).toMatch(/ALSA device "default" cannot be opened/);
    await sleep(100);
    expect(runs()).toBe(1); // no restart after a failed open
  });

  it('fails open() with AUDIO_DEVICE_BUSY for a busy device', async () => {
    env.FAKE_ALSA_MODE = 'busy';
    const cap = new AlsaCapture({ device: 'hw:1,0', sampleRate: 8000, env, command: join(dir, 'arecord'), startupGraceMs: 5000 });
    await expect(cap.open()).rejects.toMatchObject({ code: 'AUDIO_DEVICE_BUSY' });
  });

  it('restarts a child that dies after open with growing backoff, without throwing', async () => {
    env.FAKE_ALSA_MODE = 'die';
    const cap = new AlsaCapture({ device: 'default', sampleRate: 8000, env, command: join(dir, 'arecord'), startupGraceMs: 20, backoffInitialMs: 50, backoffMaxMs: 200 });
    const crashes: number[] = [];
    cap.events.on('crash', (e) => crashes.push(e.restartInMs));
    await cap.open();
    await until(() => crashes.length >= 3, 5000);
    expect(crashes.slice(0, 3)).toEqual([50, 100, 200]);
    expect(cap.stats().restarts).toBeGreaterThanOrEqual(2);
    expect(cap.stats().lastError).toContain('read error');
    expect(cap.read(4)).toEqual(new Int16Array(4));
    await cap.close();
    const n = runs();
    await sleep(300);
    expect(runs()).toBe(n); // no restart after close
  });

  it('counts overruns arecord reports on stderr', async () => {
    env.FAKE_ALSA_MODE = 'xrun';
    const cap = new AlsaCapture({ device: 'default', sampleRate: 8000, env, command: join(dir, 'arecord'), startupGraceMs: 100 });
    await cap.open();
    await until(() => cap.stats().deviceXruns === 1);
    await cap.close();
  });
});

/** A clock the test moves by hand (only now() matters for the playback estimate). */
function manualClock(): Clock & { t: number } {
  const c = { t: 0, now: () => c.t, setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
  return c as unknown as Clock & { t: number };
}

describe('AlsaPlayback with a fake aplay', () => {
  it('streams written frames to aplay as S16_LE', async () => {
    env.FAKE_APLAY_OUT = join(dir, 'out.raw');
    const pb = new AlsaPlayback({ device: 'default', sampleRate: 8000, env, command: join(dir, 'aplay') });
    await pb.open();
    pb.write(Int16Array.from([1, 2, -3]));
    pb.write(Int16Array.from([32767, -32768]));
    await pb.close();
    const b = readFileSync(env.FAKE_APLAY_OUT);
    expect([...new Int16Array(b.buffer, b.byteOffset, b.length / 2)]).toEqual([1, 2, -3, 32767, -32768]);
  });

  it('measures the queue in front of the speaker from the write clock and drops frames beyond maxQueueMs', async () => {
    const clock = manualClock();
    const pb = new AlsaPlayback({ device: 'default', sampleRate: 1000, bufferTimeUs: 40_000, maxQueueMs: 60, clock, env, command: join(dir, 'aplay') });
    await pb.open();
    const frame = new Int16Array(20); // 20 ms at 1 kHz
    pb.write(frame); // filling: 20 ms queued
    expect(pb.stats().latencyMs).toBe(20);
    pb.write(frame); // 40 ms: the device starts now
    expect(pb.stats().latencyMs).toBe(40);
    clock.t = 20;
    expect(pb.stats().latencyMs).toBe(20);
    pb.write(frame); // steady state: 40 ms
    pb.write(frame); // 60 ms (the bound)
    expect(pb.stats().latencyMs).toBe(60);
    pb.write(frame); // would be 80 ms: dropped
    expect(pb.stats()).toMatchObject({ droppedFrames: 1, droppedSamples: 20, latencyMs: 60, latencyMaxMs: 60, underruns: 0 });
    clock.t = 200; // nothing written for a while: the speaker ran dry
    pb.write(frame);
    expect(pb.stats().underruns).toBe(1);
    expect(pb.stats().latencyMs).toBe(20);
    await pb.close();
  });

  it('adds the stall aplay reports ("underrun!!! (at least 50 ms long)") to the measured queue', async () => {
    env.FAKE_ALSA_MODE = 'xrun-late';
    const clock = manualClock();
    const pb = new AlsaPlayback({ device: 'default', sampleRate: 1000, bufferTimeUs: 40_000, maxQueueMs: 200, clock, env, command: join(dir, 'aplay'), startupGraceMs: 50 });
    await pb.open();
    pb.write(new Int16Array(20));
    pb.write(new Int16Array(20)); // started: 40 ms queued
    await until(() => pb.stats().deviceXruns === 1);
    expect(pb.stats().latencyMs).toBe(90);
    await pb.close();
  });

  it('fails open() with AUDIO_DEVICE_MISSING and drops writes instead of throwing', async () => {
    env.FAKE_ALSA_MODE = 'missing';
    const pb = new AlsaPlayback({ device: 'plughw:7,0', sampleRate: 8000, env, command: join(dir, 'aplay'), startupGraceMs: 5000 });
    await expect(pb.open()).rejects.toMatchObject({ code: 'AUDIO_DEVICE_MISSING', message: expect.stringContaining('"plughw:7,0"') });
    expect(() => pb.write(new Int16Array(160))).not.toThrow();
    expect(pb.stats().droppedFrames).toBe(1);
  });

  it('restarts aplay after it dies and keeps playing into the new child', async () => {
    env.FAKE_APLAY_OUT = join(dir, 'out.raw');
    const pb = new AlsaPlayback({ device: 'default', sampleRate: 8000, env, command: join(dir, 'aplay'), backoffInitialMs: 30 });
    const crashes: string[] = [];
    pb.events.on('crash', (e) => crashes.push(e.message));
    await pb.open();
    const pids = readFileSync(env.FAKE_ALSA_RUNS!, 'utf8').trim().split(' ');
    process.kill(Number(pids[1]), 'SIGKILL');
    await until(() => runs() === 2 && pb.stats().running);
    expect(crashes[0]).toMatch(/aplay on ALSA device "default" was killed by SIGKILL/);
    pb.write(Int16Array.from([7, 8]));
    await pb.close();
    const b = readFileSync(env.FAKE_APLAY_OUT);
    expect([...new Int16Array(b.buffer, b.byteOffset, b.length / 2)]).toEqual([7, 8]);
  });

  it('leaves no child behind after close', async () => {
    const before = liveChildCount();
    const pb = new AlsaPlayback({ device: 'default', sampleRate: 8000, env, command: join(dir, 'aplay') });
    const cap = new AlsaCapture({ device: 'default', sampleRate: 8000, env, command: join(dir, 'arecord') });
    await pb.open();
    await cap.open();
    expect(liveChildCount()).toBe(before + 2);
    await pb.close();
    await cap.close();
    await pb.close(); // twice is fine
    expect(liveChildCount()).toBe(before);
  });
});
