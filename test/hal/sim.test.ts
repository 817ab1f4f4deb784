import { describe, expect, it } from 'vitest';
import { Debouncer } from '../../hal/gpio/debounce.js';
import { SimButton, SimRelay } from '../../hal/gpio/sim.js';
import { createCapture, createPlayback, createButton, checkAudioSpec } from '../../hal/registry.js';
import { FakeClock } from '../support/fake-clock.js';

describe('debounced button', () => {
  it('ignores contact bounce shorter than debounce_ms and reports one press and one release', () => {
    const clock = new FakeClock();
    const b = new SimButton({ id: 'door', clock, debounce_ms: 30, long_press_ms: 2000 });
    const seen: string[] = [];
    b.events.on('press', (e) => seen.push(`press:${e.source}`));
    b.events.on('release', () => seen.push('release'));
    b.setLevel(true);
    clock.advance(5);
    b.setLevel(false); // bounce
    clock.advance(5);
    b.setLevel(true); // bounce
    clock.advance(200);
    b.setLevel(false);
    expect(seen).toEqual(['press:hardware', 'release']);
  });

  it('raises a long press once when held past long_press_ms', () => {
    const clock = new FakeClock();
    const long: number[] = [];
    const d = new Debouncer({ clock, debounceMs: 10, longPressMs: 2000, onPress() {}, onRelease() {}, onLongPress: (ms) => long.push(ms) });
    d.edge(true);
    clock.advance(1999);
    expect(long).toEqual([]);
    clock.advance(1);
    expect(long).toEqual([2000]);
    clock.advance(5000);
    d.edge(false);
    expect(long).toHaveLength(1);
  });

  it('an API press is one clean press and release', () => {
    const clock = new FakeClock();
    const b = createButton({ id: 'x', driver: 'sim', active_low: false, bias: 'as-is', debounce_ms: 30, long_press_ms: 2000 }, { clock });
    const seen: string[] = [];
    b.events.on('press', (e) => seen.push(e.source));
    b.press();
    b.press();
    expect(seen).toEqual(['api', 'api']);
  });
});

describe('sim relay', () => {
  it('pulses on for N ms then off, and a new pulse extends it', () => {
    const clock = new FakeClock();
    const r = new SimRelay('door', clock);
    const changes: string[] = [];
    r.events.on('change', (e) => changes.push(e.state));
    r.pulse(1000);
    expect(r.state).toBe('on');
    clock.advance(600);
    r.pulse(1000);
    clock.advance(600);
    expect(r.state).toBe('on');
    clock.advance(400);
    expect(r.state).toBe('off');
    expect(changes).toEqual(['on', 'off']);
  });
});

describe('audio drivers', () => {
  it('tone:HZ produces a continuous sine at that frequency', () => {
    const cap = createCapture('tone:1000', 8000);
    const a = cap.read(160);
    const b = cap.read(160);
    // 1000 Hz at 8 kHz: period 8 samples; the second frame continues the first without a jump
    expect(Math.abs(b[0] - a[159])).toBeLessThan(0.3 * 32767 * 2 * Math.sin(Math.PI / 8) + 2);
    let crossings = 0;
    for (let i = 1; i < 160; i++) if (a[i - 1] < 0 && a[i] >= 0) crossings++;
    expect(crossings).toBe(19); // 20 periods in 20 ms; the first starts at sample 0
  });

  it('silence capture and null playback', () => {
    expect(createCapture('silence', 16000).read(320).every((s) => s === 0)).toBe(true);
    expect(() => createPlayback('null', 16000).write(new Int16Array(320))).not.toThrow();
  });

  it('an unknown driver fails with the list of known ones', () => {
    expect(() => createCapture('alsa-typo:0', 16000)).toThrow(/unknown capture driver "alsa-typo"; known: silence, tone/);
    expect(checkAudioSpec('capture', 'tone:abc')).toMatch(/must be a number/);
    expect(checkAudioSpec('capture', 'tone')).toMatch(/needs an argument/);
  });
});

describe('wav drivers', () => {
  it('wav: capture resamples a 48 kHz stereo file to the HAL rate and loops it; wav: playback writes a readable WAV', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { writeWavFile, readWavFile } = await import('../../daemon/util/pcm/wav.js');
    const { detectTone } = await import('../../daemon/media/goertzel.js');
    const dir = mkdtempSync(join(tmpdir(), 'portier-wav-'));
    const src = new Int16Array(48000 * 2); // 1 s stereo 48 kHz, 1000 Hz in both channels
    for (let i = 0; i < 48000; i++) src[2 * i] = src[2 * i + 1] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 48000));
    await writeWavFile(join(dir, 'in.wav'), src, 48000, 2);
    const cap = createCapture(`wav:${join(dir, 'in.wav')}`, 16000);
    await cap.open();
    const out = createPlayback(`wav:${join(dir, 'out.wav')}`, 16000);
    await out.open();
    for (let i = 0; i < 100; i++) out.write(cap.read(320)); // 2 s: the 1 s file loops
    await out.close();
    const rec = await readWavFile(join(dir, 'out.wav'));
    expect(rec.sampleRate).toBe(16000);
    expect(rec.frames).toBe(32000);
    expect(detectTone(rec.samples, 16000, 1000).seconds).toBeGreaterThanOrEqual(1.8);
    expect(detectTone(rec.samples, 16000, 600).seconds).toBe(0);
  });

  it('a missing WAV file fails to open with a clear error', async () => {
    const cap = createCapture('wav:/nonexistent/door.wav', 16000);
    await expect(cap.open()).rejects.toThrow(/Cannot read the WAV file \/nonexistent\/door\.wav/);
  });
});
