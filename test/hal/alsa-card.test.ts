/**
 * The alsa driver against the virtual sound card (PulseAudio null sinks, ALSA default → pulse):
 * first the driver alone, then in a real call — the door registered at the lab's Kamailio with
 * capture and playback on alsa:default, a baresip phone on the other end, tones checked both ways.
 */
import { describe, expect, test } from 'vitest';
import { AlsaCapture, AlsaPlayback } from '../../hal/audio/alsa.js';
import { detectTone } from '../../daemon/media/goertzel.js';
import { startLab, startVirtualCard, CARD_RATE, toneSeconds, type VirtualCard } from '../support/peers/index.js';
import { sineSamples } from '../support/peers/wav.js';
import { startTestDaemon, waitFor } from '../support/daemon.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The in-process daemon spawns arecord/aplay with process.env: point ALSA's pulse plugin at the card. */
function useCard(card: VirtualCard): () => void {
  const saved = process.env.PULSE_SERVER;
  process.env.PULSE_SERVER = card.env.PULSE_SERVER;
  return () => {
    if (saved === undefined) delete process.env.PULSE_SERVER;
    else process.env.PULSE_SERVER = saved;
  };
}

describe('alsa driver on the virtual sound card', () => {
  test('capture hears the tone played into the microphone; playback reaches the speaker; no restarts', async () => {
    const card = await startVirtualCard();
    const cap = new AlsaCapture({ device: 'default', sampleRate: 16000, env: card.env });
    const pb = new AlsaPlayback({ device: 'default', sampleRate: 16000, env: card.env });
    try {
      await cap.open();
      await pb.open();
      const spk = await card.record('vspk.monitor');
      const captured: Int16Array[] = [];
      const tone = sineSamples(1300, 2, 16000);
      const play = card.playSamples(sineSamples(700, 1.5, CARD_RATE));
      // a 20 ms media tick: one frame in, one frame out, paced against absolute time (a bare
      // sleep(20) drifts on a loaded machine and starves the speaker)
      const t0 = performance.now();
      for (let i = 0; i < 100; i++) {
        captured.push(cap.read(320));
        pb.write(tone.subarray(i * 320, (i + 1) * 320));
        await sleep(Math.max(0, t0 + (i + 1) * 20 - performance.now()));
      }
      await play;
      await sleep(200);
      const heard = await spk.stop();
      const mic = Int16Array.from(captured.flatMap((f) => [...f]));
      expect(detectTone(mic, 16000, 700).seconds).toBeGreaterThanOrEqual(1);
      expect(detectTone(mic, 16000, 1300).seconds).toBe(0);
      // 2 s written; a scheduling stall on a shared CI machine can cost a few 100 ms blocks
      expect(detectTone(heard, CARD_RATE, 1300).seconds).toBeGreaterThanOrEqual(1.3);
      expect(detectTone(heard, CARD_RATE, 700).seconds).toBe(0);
      const ps = pb.stats();
      expect(cap.stats()).toMatchObject({ running: true, restarts: 0 });
      expect(ps).toMatchObject({ running: true, restarts: 0 });
      expect(ps.latencyMaxMs).toBeLessThanOrEqual(120);
    } finally {
      await cap.close();
      await pb.close();
      await card.stop();
    }
  }, 30_000);

  test('a missing device fails open() with a clear error instead of taking the process down', async () => {
    // no PULSE_SERVER and no card: ALSA has no "default"
    const env = { ...process.env, PULSE_SERVER: 'unix:/nonexistent/pulse/native' };
    const cap = new AlsaCapture({ device: 'default', sampleRate: 16000, env, startupGraceMs: 5000 });
    await expect(cap.open()).rejects.toMatchObject({ code: 'AUDIO_DEVICE_MISSING', message: expect.stringContaining('ALSA device "default"') });
    const pb = new AlsaPlayback({ device: 'plughw:9,0', sampleRate: 16000, env, startupGraceMs: 5000 });
    await expect(pb.open()).rejects.toMatchObject({ code: 'AUDIO_DEVICE_MISSING', message: expect.stringContaining('"plughw:9,0"') });
  });

  test('in a call: the microphone reaches the phone and the phone comes out of the speaker', async () => {
    const card = await startVirtualCard();
    const restore = useCard(card);
    const lab = await startLab({ basePort: 33000, users: { door: 'doorpw', '200': 'pw200' } });
    let door: Awaited<ReturnType<typeof startTestDaemon>> | undefined;
    try {
      const dev = lab.devicePorts;
      door = await startTestDaemon(`
[sip]
registrar = "sip:${lab.registrar}"
user = "door"
password = "doorpw"
listen = "127.0.0.1:${dev.first}"
expires = 300
[media]
rtp_ports = "${dev.first + 10}-${dev.last}"
codecs = ["pcmu"]
[audio]
capture = "alsa:default"
playback = "alsa:default"
sample_rate = 16000
[intercom]
ring_timeout_s = 20
[[buttons]]
id = "door"
call = ["200"]
[[relays]]
id = "door"
pulse_ms = 1500
[[doors]]
relay = "door"
codes = ["1234"]
`);
      const d = door;
      await waitFor('registered', async () => (await (await d.api('/api/status')).json()).sip.registration === 'registered', 8000);
      const phone = await lab.phone({ user: '200', tone: 1000, codecs: ['pcmu'], answer: 'auto' });
      await phone.waitRegistered();
      const spk = await card.record('vspk.monitor');
      expect((await d.api('/api/buttons/door/press', { method: 'POST' })).status).toBe(200);
      await phone.waitEvent('CALL_ESTABLISHED', 5000);
      await card.playSamples(sineSamples(600, 3, CARD_RATE)); // the visitor speaks for 3 s
      await phone.hangup();
      await phone.waitEvent('CALL_CLOSED', 5000);
      const speaker = await spk.stop();
      // the phone heard the visitor's 600 Hz (G.711 at 8 kHz), the speaker played the phone's 1000 Hz
      const phoneHeard = await phone.lastRecording();
      expect(toneSeconds(phoneHeard, 600)).toBeGreaterThanOrEqual(2);
      expect(toneSeconds(phoneHeard, 1000)).toBe(0);
      expect(detectTone(speaker, CARD_RATE, 1000).seconds).toBeGreaterThanOrEqual(2);
      expect(detectTone(speaker, CARD_RATE, 600).seconds).toBe(0);
    } finally {
      await door?.daemon.close();
      await lab.stop();
      restore();
      await card.stop();
    }
  }, 60_000);
});
