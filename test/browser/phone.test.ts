/**
 * The panel as a phone, in Debian's Chromium with a fake microphone (a 1 kHz tone): the door rings
 * the panel beside the demo flat, the resident answers in the browser, hears the door (440 Hz), the
 * door hears the browser, the door opens from the call, and closing the tab ends the call.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectTone } from '../../daemon/media/goertzel.js';
import { SineGenerator } from '../../daemon/media/tone.js';
import { encodeWav, readWavFile } from '../../daemon/util/pcm/wav.js';
import { hashPassword } from '../../daemon/panel/password.js';
import { buildWeb } from '../../scripts/build-web.mjs';
import { waitFor } from '../support/daemon.js';
import { freeTcpPort } from '../support/free-port.js';
import { repoRoot, startDaemonProcess } from '../support/run-cli.js';

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'door-phone-test';
const TOKEN = 'phone-test-token-0123456789';
const SHOTS = join(repoRoot, 'test-results', 'screenshots');

let dir = '';
let base = '';
let speaker = '';
let daemon: ReturnType<typeof startDaemonProcess> | null = null;
let browser: Browser;

const api = async (path: string, method = 'GET') =>
  (await fetch(`${base}${path}`, { method, headers: { Authorization: `Bearer ${TOKEN}` } })).json() as Promise<Record<string, any>>;
const call0 = async () => ((await api('/api/status')).calls as Record<string, any>[])[0];

/** Catches every remote track the page gets and measures it with an AnalyserNode. */
const MEASURE = `(() => {
  const Orig = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...a) {
    const pc = new Orig(...a);
    (window.__pcs = window.__pcs || []).push(pc);
    pc.addEventListener('track', (e) => {
      const ctx = new AudioContext();
      const an = ctx.createAnalyser();
      an.fftSize = 4096;
      ctx.createMediaStreamSource(e.streams[0] || new MediaStream([e.track])).connect(an);
      window.__remote = { an, rate: ctx.sampleRate };
    });
    return pc;
  };
  window.RTCPeerConnection.prototype = Orig.prototype;
})();`;

async function peakHz(page: Page): Promise<number> {
  return page.evaluate(() => {
    const r = (window as unknown as { __remote?: { an: AnalyserNode; rate: number } }).__remote;
    if (!r) return -1;
    const bins = new Float32Array(r.an.frequencyBinCount);
    r.an.getFloatFrequencyData(bins);
    let best = 1;
    for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    return (best * r.rate) / r.an.fftSize;
  });
}

async function loggedInPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.addInitScript(MEASURE);
  await page.goto(base);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('#conn.conn-live');
  return page;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'portier-phone-'));
  const port = await freeTcpPort();
  base = `http://127.0.0.1:${port}`;
  speaker = join(dir, 'speaker.wav');
  const mic = join(dir, 'browser-mic.wav');
  writeFileSync(mic, encodeWav(new SineGenerator({ rate: 48000, freqHz: 1000, levelDbfs: -12 }).next(48000 * 10), 48000));
  const ice = 40000 + 100 * Math.floor(Math.random() * 200);
  writeFileSync(
    join(dir, 'portier.toml'),
    `state_dir = ${JSON.stringify(join(dir, 'state'))}
[audio]
capture = "tone:440"
playback = "wav:${speaker}"
[panel]
listen = "127.0.0.1:${port}"
password_hash = "${await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 })}"
token = "${TOKEN}"
[webrtc]
ports = "${ice}-${ice + 99}"
[sip]
listen = "127.0.0.1:0"
[demo]
flat = true
flat_answer_ms = 8000
[[buttons]]
id = "door"
driver = "sim"
[[relays]]
id = "door"
driver = "sim"
pulse_ms = 1500
[[doors]]
relay = "door"
codes = ["1234"]
`,
  );
  await buildWeb();
  daemon = startDaemonProcess(['--config', join(dir, 'portier.toml')]);
  await daemon.ready;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${mic}`, '--autoplay-policy=no-user-gesture-required'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (daemon && daemon.child.exitCode === null) {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the panel is a phone', { timeout: 60_000 }, () => {
  it('rings beside the flat; Answer in the browser wins, talks both ways, opens the door; closing the tab ends the call', async () => {
    const page = await loggedInPage();
    await api('/api/buttons/door/press', 'POST');
    const bar = page.locator('#phone');
    const answer = bar.getByRole('button', { name: 'Answer' });
    await answer.waitFor({ timeout: 5000 });
    expect(await bar.getByRole('button', { name: 'Decline' }).count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'phone-01-ringing.png'), fullPage: true });
    await answer.click();
    await waitFor('connected to the panel', async () => (await call0())?.state === 'connected', 15000);
    expect((await call0()).peer).toBe('panel');
    await bar.getByRole('button', { name: 'Hang up' }).waitFor({ timeout: 5000 });
    await new Promise((r) => setTimeout(r, 3000)); // talk
    await page.screenshot({ path: join(SHOTS, 'phone-02-talking.png'), fullPage: true });
    expect(Math.abs((await peakHz(page)) - 440)).toBeLessThan(25);
    const media = (await call0()).media;
    expect(media.packets_received).toBeGreaterThan(50);
    expect(media.packets_sent).toBeGreaterThan(50);

    // the door from the call, with its confirmation
    await bar.getByRole('button', { name: 'Open door' }).click();
    await bar.getByRole('button', { name: 'Confirm: open the door' }).click();
    await waitFor('relay on', async () => (await api('/api/status')).relays.door.state === 'on', 5000);
    const { events } = await api('/api/events?limit=20');
    const opened = (events as Record<string, unknown>[]).find((e) => e.type === 'door_open');
    expect(opened).toMatchObject({ by: 'panel' });
    expect(opened!.session).toMatch(/^[0-9a-f]{8}$/);

    // the tab goes away: the door's call ends by itself
    await page.context().close();
    await waitFor('ended', async () => (await call0())?.state === 'ended', 10000);
    expect((await call0()).end_reason).toMatch(/panel was closed|browser went away|no audio/);

    // the door's speaker heard the browser's 1 kHz
    const heard = await readWavFile(speaker);
    expect(detectTone(heard.samples, heard.sampleRate, 1000).seconds).toBeGreaterThan(1.5);
    // the flat was rung alongside and stopped when the browser answered
    const types = ((await api('/api/events?limit=20')).events as { type: string }[]).map((e) => e.type);
    expect(types).toContain('answer');
  });

  it('the flat answering stops the panel ringing; a browser that stops sending mid-call ends the call', async () => {
    const page = await loggedInPage();
    await api('/api/buttons/door/press', 'POST');
    const bar = page.locator('#phone');
    await bar.getByRole('button', { name: 'Answer' }).waitFor({ timeout: 5000 });
    await waitFor('the flat answered', async () => (await call0())?.state === 'connected', 15000);
    await page.waitForSelector('#phone', { state: 'hidden', timeout: 5000 });
    await api('/api/calls/hangup', 'POST');
    await waitFor('ended', async () => (await call0())?.state === 'ended', 5000);

    // answered in the browser, then its WebRTC connection goes away while the page stays (Wi-Fi lost)
    await api('/api/buttons/door/press', 'POST');
    await bar.getByRole('button', { name: 'Answer' }).click();
    await waitFor('connected to the panel', async () => (await call0())?.state === 'connected' && (await call0()).peer === 'panel', 15000);
    await page.evaluate(() => {
      for (const t of document.querySelectorAll('audio')) t.srcObject = null;
      // the page's peer connection: closing it stops its media without closing the WebSocket
      (window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs?.forEach((pc) => pc.close());
    });
    await waitFor('ended', async () => (await call0())?.state === 'ended', 10000);
    expect((await call0()).end_reason).toMatch(/browser|no audio/);
    await page.context().close();
  });

  it('Decline stops the panel ringing; the flat rung alongside still answers', async () => {
    const page = await loggedInPage();
    await api('/api/buttons/door/press', 'POST');
    await page.locator('#phone').getByRole('button', { name: 'Answer' }).waitFor({ timeout: 5000 });
    await page.locator('#phone').getByRole('button', { name: 'Decline' }).click();
    await page.waitForSelector('#phone', { state: 'hidden', timeout: 5000 });
    await waitFor('the flat answered', async () => (await call0())?.state === 'connected', 15000);
    expect((await call0()).peer).toMatch(/^sip:flat@/);
    await api('/api/calls/hangup', 'POST');
    await page.context().close();
  });
});
