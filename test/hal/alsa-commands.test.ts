import { describe, expect, test } from 'vitest';
import { audioDevicesCommand, audioTestCommand, levels } from '../../daemon/cli/audio-commands.js';
import { detectTone } from '../../daemon/media/goertzel.js';
import { startVirtualCard, CARD_RATE } from '../support/peers/index.js';
import { sineSamples } from '../support/peers/wav.js';

function io(env?: NodeJS.ProcessEnv) {
  const o = { out: '', err: '', env };
  return { o, io: { out: (t: string) => (o.out += t), err: (t: string) => (o.err += t), env } };
}

describe('levels', () => {
  test('full-scale square is 0 dBFS, silence is -Infinity, half scale about -6 dBFS', () => {
    expect(levels(Int16Array.from([32767, -32768])).peakDbfs).toBeCloseTo(0, 1);
    expect(levels(new Int16Array(10)).rmsDbfs).toBe(-Infinity);
    expect(levels(Int16Array.from([16384, -16384])).rmsDbfs).toBeCloseTo(-6.02, 1);
  });
});

describe('portier audio-test / audio-devices', () => {
  test('usage errors exit 2', async () => {
    const a = io();
    expect(await audioTestCommand(['--rate', '44100'], a.io)).toBe(2);
    expect(a.o.err).toMatch(/--rate must be 8000, 16000 or 48000/);
    expect(await audioTestCommand(['--bogus'], a.io)).toBe(2);
  });

  test('a missing device exits 1 and names it', async () => {
    const a = io({ ...process.env, PULSE_SERVER: 'unix:/nonexistent/native' });
    expect(await audioTestCommand(['--device', 'plughw:9,0', '--seconds', '0.2'], a.io)).toBe(1);
    expect(a.o.err).toMatch(/capture failed: ALSA device "plughw:9,0" cannot be opened/);
  });

  test('records the microphone, reports its level and plays it back on the virtual card; lists the devices', async () => {
    const card = await startVirtualCard();
    try {
      const spk = await card.record('vspk.monitor');
      const a = io(card.env);
      // generous margins: arecord can take a few 100 ms to start on a loaded CI machine
      const run = audioTestCommand(['--seconds', '2.5', '--rate', '16000'], a.io);
      await new Promise((r) => setTimeout(r, 200));
      await card.playSamples(sineSamples(800, 1.5, CARD_RATE));
      expect(await run).toBe(0);
      await new Promise((r) => setTimeout(r, 200));
      const heard = await spk.stop();
      expect(a.o.out).toMatch(/Recording 2.5 s from ALSA device "default" at 16000 Hz/);
      const peak = Number(/Microphone: peak (-?[\d.]+) dBFS/.exec(a.o.out)?.[1]);
      expect(peak).toBeGreaterThan(-10); // the 800 Hz at half scale is about -6 dBFS
      expect(a.o.out).not.toMatch(/silent/);
      expect(a.o.out).toMatch(/Speaker: buffer latency avg [\d.]+ ms/);
      expect(detectTone(heard, CARD_RATE, 800).seconds).toBeGreaterThanOrEqual(0.5); // played back

      const d = io(card.env);
      expect(await audioDevicesCommand([], d.io)).toBe(0);
      expect(d.o.out).toMatch(/Capture devices[\s\S]*\n  default\n      Playback\/recording through the PulseAudio sound server/);
      const j = io(card.env);
      expect(await audioDevicesCommand(['--json'], j.io)).toBe(0);
      const parsed = JSON.parse(j.o.out) as { playback: { devices: { name: string }[] } };
      expect(parsed.playback.devices.map((x) => x.name)).toContain('pulse');
    } finally {
      await card.stop();
    }
  }, 30_000);
});
