import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_TOML } from '../../config/demo.js';
import { detectTone } from '../../daemon/media/goertzel.js';
import { readWavFile } from '../../daemon/util/pcm/wav.js';
import { startTestDaemon, waitFor } from '../support/daemon.js';

function demo(rtp: string, demoExtra: string, intercom: string, playback = 'null') {
  return (
    DEMO_TOML.replace('listen = "127.0.0.1:8080"', 'listen = "127.0.0.1:0"')
      .replace('playback = "null"', `playback = "${playback}"`)
      .replace('[demo]\nflat = true', `[demo]\nflat = true\nflat_tone_hz = 600\n${demoExtra}`) +
    `\n[media]\nrtp_ports = "${rtp}"\n[intercom]\n${intercom}\n`
  );
}

type Api = (p: string, i?: RequestInit) => Promise<Response>;
const calls = async (api: Api) => (await (await api('/api/status')).json()).calls as { state: string; end_reason?: string }[];

describe('call policy with the demo flat', () => {
  it('plays ringback on the door speaker while the flat rings', async () => {
    const spk = join(mkdtempSync(join(tmpdir(), 'portier-spk-')), 'speaker.wav');
    const t = await startTestDaemon(demo('31400-31500', 'flat_answer_ms = 2500', '', `wav:${spk}`));
    try {
      await t.api('/api/buttons/door/press', { method: 'POST' });
      await waitFor('connected', async () => (await calls(t.api))[0]?.state === 'connected', 8000);
      await new Promise((r) => setTimeout(r, 1000));
      await t.api('/api/calls/hangup', { method: 'POST' });
    } finally {
      await t.daemon.close();
    }
    const wav = await readWavFile(spk);
    // 200 ms blocks: 5 Hz bins, so 425 Hz sits on a bin
    expect(detectTone(wav.samples, wav.sampleRate, 425, { blockMs: 200 }).seconds).toBeGreaterThanOrEqual(0.8); // ringback, 1 s on
    expect(detectTone(wav.samples, wav.sampleRate, 600).seconds).toBeGreaterThanOrEqual(0.5); // then the flat
  }, 30_000);

  it('a second press while ringing cancels when press_while_ringing = "cancel"', async () => {
    const { daemon, api } = await startTestDaemon(demo('31600-31700', 'flat_answer_ms = 5000', 'press_while_ringing = "cancel"'));
    try {
      await api('/api/buttons/door/press', { method: 'POST' });
      expect((await calls(api))[0].state).toBe('ringing');
      await api('/api/buttons/door/press', { method: 'POST' });
      const c = await waitFor('ended', async () => {
        const x = (await calls(api))[0];
        return x.state === 'ended' ? x : null;
      });
      expect(c.end_reason).toMatch(/pressed again/);
      await waitFor('flat idle', () => daemon.demoFlat!.state === 'idle', 5000);
    } finally {
      await daemon.close();
    }
  });

  it('a press during a call is ignored by default', async () => {
    const { daemon, api } = await startTestDaemon(demo('31800-31900', 'flat_answer_ms = 200', ''));
    try {
      await api('/api/buttons/door/press', { method: 'POST' });
      await waitFor('connected', async () => (await calls(api))[0]?.state === 'connected');
      await api('/api/buttons/door/press', { method: 'POST' });
      await new Promise((r) => setTimeout(r, 300));
      expect((await calls(api))[0].state).toBe('connected');
    } finally {
      await daemon.close();
    }
  });

  it('hangs up after hangup_after_open_s once a code opened the door', async () => {
    const { daemon, api } = await startTestDaemon(demo('32000-32100', 'flat_answer_ms = 200', 'hangup_after_open_s = 1'));
    try {
      await api('/api/buttons/door/press', { method: 'POST' });
      await waitFor('connected', async () => (await calls(api))[0]?.state === 'connected');
      await api('/api/demo/flat/dtmf', { method: 'POST', body: '{"digits":"1234#"}' });
      const c = await waitFor('ended', async () => {
        const x = (await calls(api))[0];
        return x.state === 'ended' ? x : null;
      }, 8000);
      expect(c.end_reason).toBe('door opened');
    } finally {
      await daemon.close();
    }
  });

  it('ends the call at max_call_s with a warning beep the flat hears before the end', async () => {
    const { daemon, api } = await startTestDaemon(demo('32200-32300', 'flat_answer_ms = 100', 'max_call_s = 10\nwarning_s = 4'));
    try {
      await api('/api/buttons/door/press', { method: 'POST' });
      const c = await waitFor('ended', async () => {
        const x = (await calls(api))[0];
        return x?.state === 'ended' ? x : null;
      }, 15000, 200);
      expect(c.end_reason).toBe('maximum call duration reached');
      const rec = await waitFor('recording', () => readWavFile(daemon.demoFlat!.recordingPath), 5000);
      // the beep is mixed with the door's 440 Hz at the same level: half the energy at its bin
      const beep = detectTone(rec.samples, rec.sampleRate, 1400, { blockMs: 50, minRatio: 0.3 });
      expect(beep.seconds).toBeGreaterThanOrEqual(0.2);
      expect(detectTone(rec.samples, rec.sampleRate, 440).seconds).toBeGreaterThan(5);
    } finally {
      await daemon.close();
    }
  }, 25_000);
});

describe('a button without call targets', () => {
  it('logs call_failed and starts no call', async () => {
    const { daemon, api } = await startTestDaemon('[panel]\nlisten = "127.0.0.1:0"\n[sip]\nlisten = "127.0.0.1:0"\n[media]\nrtp_ports = "32400-32500"\n[[buttons]]\nid = "door"\n');
    try {
      expect((await api('/api/buttons/door/press', { method: 'POST' })).status).toBe(200);
      expect(await calls(api)).toEqual([]);
      const { events } = await (await api('/api/events?limit=5')).json();
      expect(events[0]).toMatchObject({ type: 'call_failed', button: 'door', reason: 'no call targets are configured for this button' });
    } finally {
      await daemon.close();
    }
  });
});
