import { describe, expect, it } from 'vitest';
import { DEMO_TOML } from '../../config/demo.js';
import { detectTone } from '../../daemon/media/goertzel.js';
import { readWavFile } from '../../daemon/util/pcm/wav.js';
import { startTestDaemon, waitFor } from '../support/daemon.js';

const demo = DEMO_TOML.replace('listen = "127.0.0.1:8080"', 'listen = "127.0.0.1:0"')
  .replace('[demo]\nflat = true', '[demo]\nflat = true\nflat_answer_ms = 500\nflat_tone_hz = 600')
  .replace('[sip]\n', '[sip]\n') + '\n[media]\nrtp_ports = "31000-31100"\n';

describe('the embedded demo: press, talk, open the door', () => {
  it('rings the demo flat, carries both tones, opens the door on 1234#, hangs up, and logs every step', async () => {
    const { daemon, api } = await startTestDaemon(demo);
    try {
      const calls = async () => (await (await api('/api/status')).json()).calls as { state: string; codec: string; media?: { packets_received: number } }[];
      expect((await api('/api/buttons/door/press', { method: 'POST' })).status).toBe(200);
      expect((await calls())[0].state).toBe('ringing');
      await waitFor('connected', async () => (await calls())[0]?.state === 'connected');
      await new Promise((r) => setTimeout(r, 1500)); // talk
      const dtmf = await api('/api/demo/flat/dtmf', { method: 'POST', body: '{"digits":"1234#"}' });
      expect(dtmf.status).toBe(200);
      await waitFor('relay on', () => daemon.relays.get('door')!.state === 'on', 5000);
      const connected = (await calls())[0];
      expect(connected.codec).toBe('g722');
      expect(connected.media!.packets_received).toBeGreaterThan(40);
      expect((await api('/api/calls/hangup', { method: 'POST' })).status).toBe(200);
      await waitFor('ended', async () => (await calls())[0]?.state === 'ended');
      expect((await api('/api/calls/hangup', { method: 'POST' })).status).toBe(404);
      const { events } = await (await api('/api/events?limit=20')).json();
      const types = (events as { type: string }[]).map((e) => e.type).reverse();
      expect(types).toEqual(expect.arrayContaining(['started', 'ring', 'answer', 'door_open', 'hangup']));
      expect(types.indexOf('ring')).toBeLessThan(types.indexOf('answer'));
      expect(types.indexOf('answer')).toBeLessThan(types.indexOf('door_open'));
      expect(types.indexOf('door_open')).toBeLessThan(types.indexOf('hangup'));
      // what the flat heard: the door's 440 Hz microphone, not its own 600 Hz
      const rec = await waitFor('flat recording', () => readWavFile(daemon.demoFlat!.recordingPath), 5000);
      expect(detectTone(rec.samples, rec.sampleRate, 440).seconds).toBeGreaterThanOrEqual(1.5);
      expect(detectTone(rec.samples, rec.sampleRate, 600).seconds).toBe(0);
    } finally {
      await daemon.close();
    }
  });

  it('refuses DTMF when the flat is not in a call, and bad digits', async () => {
    const { daemon, api } = await startTestDaemon(demo.replace('31000-31100', '31200-31300'));
    try {
      const idle = await api('/api/demo/flat/dtmf', { method: 'POST', body: '{"digits":"1"}' });
      expect(idle.status).toBe(400);
      expect((await idle.json()).error).toMatch(/not in a call/);
      const bad = await api('/api/demo/flat/dtmf', { method: 'POST', body: '{"digits":"12x"}' });
      expect(bad.status).toBe(400);
      expect((await api('/api/events?limit=0')).status).toBe(400);
      expect((await api('/api/doors/nope/open', { method: 'POST' })).status).toBe(404);
      const open = await api('/api/doors/door/open', { method: 'POST' });
      expect(await open.json()).toEqual({ ok: true, ms: 3000 });
      expect(daemon.relays.get('door')!.state).toBe('on');
    } finally {
      await daemon.close();
    }
  });
});
