/**
 * A real browser (Debian's Chromium, fake microphone playing a 1 kHz tone) on the far end of the
 * door's audio path: werift on the door's side, portier's own MediaSession (Opus, jitter buffer,
 * concealment) over it. The door's 440 Hz reaches the page; the page's 1 kHz reaches the door.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodec } from '../../daemon/media/codecs/registry.js';
import { detectTone } from '../../daemon/media/goertzel.js';
import { MediaClock } from '../../daemon/media/media-clock.js';
import { MediaSession } from '../../daemon/media/media-session.js';
import { SineGenerator } from '../../daemon/media/tone.js';
import { encodeWav } from '../../daemon/util/pcm/wav.js';
import { systemClock } from '../../daemon/util/clock.js';
import { BROWSER_ADDRESS, BROWSER_OPUS_PT, BrowserPeer } from '../../daemon/webrtc/browser-peer.js';
import { ToneCapture } from '../../hal/audio/sim.js';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'];

let browser: Browser;
let server: Server;
let origin = '';

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portier-webrtc-'));
  const wav = join(dir, 'mic.wav');
  writeFileSync(wav, encodeWav(new SineGenerator({ rate: 48000, freqHz: 1000, levelDbfs: -12 }).next(48000 * 10), 48000));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...FLAGS, `--use-file-for-fake-audio-capture=${wav}`] });
  server = createServer((_req, res) => res.end('<!doctype html><title>phone</title>'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
}, 30000);

afterAll(async () => {
  await browser?.close();
  server?.close();
});

describe('a browser on the far end of the door audio path (werift + MediaSession)', () => {
  it('carries Opus both ways: the door tone reaches the page, the page microphone reaches the door', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(origin);
    const peer = await BrowserPeer.create();
    expect(peer.offer).toMatch(/a=rtpmap:111 opus\/48000\/2/);
    expect(peer.offer).toMatch(/a=candidate:.* typ host/);
    const answer = await page.evaluate(async (offer) => {
      const pc = new RTCPeerConnection({ iceServers: [] });
      (window as unknown as { pc: RTCPeerConnection }).pc = pc;
      const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
      pc.ontrack = (e) => {
        const ctx = new AudioContext();
        const src = ctx.createMediaStreamSource(e.streams[0] ?? new MediaStream([e.track]));
        const an = ctx.createAnalyser();
        an.fftSize = 4096;
        src.connect(an);
        (window as unknown as { analyser: AnalyserNode; rate: number }).analyser = an;
        (window as unknown as { rate: number }).rate = ctx.sampleRate;
        // keep the element playing so Chromium pulls the track
        const el = new Audio();
        el.srcObject = e.streams[0] ?? new MediaStream([e.track]);
        void el.play();
      };
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      for (const t of mic.getAudioTracks()) pc.addTrack(t, mic);
      await pc.setLocalDescription(await pc.createAnswer());
      await new Promise<void>((r) => {
        if (pc.iceGatheringState === 'complete') return r();
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
        setTimeout(r, 3000);
      });
      return pc.localDescription!.sdp;
    }, peer.offer);
    const connected = new Promise<void>((r) => peer.once('connected', () => r()));
    await peer.accept(answer);
    await connected;

    const heard: Int16Array[] = [];
    const mediaClock = new MediaClock({ clock: systemClock, intervalMs: 20 });
    const session = new MediaSession({
      clock: systemClock,
      transport: peer,
      remote: { address: BROWSER_ADDRESS.address, rtpPort: BROWSER_ADDRESS.port, rtcpMux: true },
      codec: { codec: createCodec('opus', { opus: { sampleRate: 16000 } }), payloadType: BROWSER_OPUS_PT, ptimeMs: 20 },
      capture: new ToneCapture(16000, 440),
      playback: { sampleRate: 16000, write: (pcm: Int16Array) => void heard.push(pcm.slice()) },
      mediaClock,
    });
    session.start();
    try {
      await new Promise((r) => setTimeout(r, 3000));
      // what the page hears: the strongest bin of its analyser
      const peakHz = await page.evaluate(() => {
        const w = window as unknown as { analyser?: AnalyserNode; rate: number };
        if (!w.analyser) return -1;
        const bins = new Float32Array(w.analyser.frequencyBinCount);
        w.analyser.getFloatFrequencyData(bins);
        let best = 0;
        for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
        return (best * w.rate) / w.analyser.fftSize;
      });
      expect(Math.abs(peakHz - 440)).toBeLessThan(20);
      const total = heard.reduce((n, f) => n + f.length, 0);
      const pcm = new Int16Array(total);
      let o = 0;
      for (const f of heard) (pcm.set(f, o), (o += f.length));
      expect(detectTone(pcm, 16000, 1000).seconds).toBeGreaterThan(1.5);
      expect(detectTone(pcm, 16000, 440).seconds).toBe(0);
      const st = session.stats();
      expect(st.packetsReceived).toBeGreaterThan(50);
      expect(st.packetsSent).toBeGreaterThan(50);
    } finally {
      session.close();
      mediaClock.stop();
      peer.close();
    }
  }, 30000);
});
