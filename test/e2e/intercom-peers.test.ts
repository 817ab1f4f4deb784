/**
 * Issue 5 end to end, with real peers on loopback: Kamailio as the PBX with digest auth, portier
 * registered as "door", baresip phones.
 */
import { describe, expect, test } from 'vitest';
import { readWavFile } from '../../daemon/util/pcm/wav.js';
import { detectTone } from '../../daemon/media/goertzel.js';
import { toneSeconds } from '../support/peers/index.js';
import { waitFor } from '../support/daemon.js';
import { startDoorLab } from './door-lab.js';

const press = (api: (p: string, i?: RequestInit) => Promise<Response>) => api('/api/buttons/door/press', { method: 'POST' });

async function speakerTone(path: string, hz: number): Promise<number> {
  const wav = await readWavFile(path);
  return detectTone(wav.samples, wav.sampleRate, hz).seconds;
}

describe('door intercom with Kamailio and baresip phones', () => {
  test('press -> both phones ring -> one answers -> tones both ways -> door code opens the relay -> hang-up, all logged', async () => {
    const t = await startDoorLab({ basePort: 22000, phones: ['200', '201'] });
    try {
      const a = await t.lab.phone({ user: '200', tone: 1000, codecs: ['pcmu'], answer: 'manual' });
      const b = await t.lab.phone({ user: '201', tone: 1400, codecs: ['pcmu'], answer: 'manual' });
      await a.waitRegistered();
      await b.waitRegistered();
      expect((await press(t.api)).status).toBe(200);
      await a.waitEvent('CALL_INCOMING', 5000);
      await b.waitEvent('CALL_INCOMING', 5000);
      expect((await t.status()).calls[0].state).toBe('ringing');
      await a.accept();
      await waitFor('connected', async () => (await t.status()).calls[0].state === 'connected', 5000);
      await b.waitEvent('CALL_CLOSED', 5000); // the other phone stops ringing (CANCEL)
      await new Promise((r) => setTimeout(r, 2500)); // talk
      await a.sendDtmf('1234#');
      await waitFor('relay on', async () => (await t.status()).relays.door.state === 'on', 5000);
      const during = (await t.status()).calls[0];
      expect(during.codec).toBe('pcmu');
      expect(during.media.packets_received).toBeGreaterThan(100);
      await a.hangup();
      await waitFor('ended', async () => (await t.status()).calls[0].state === 'ended', 5000);
      // the phone heard the door's 440 Hz and not its own 1000 Hz; the door heard 1000 Hz
      const heard = await a.lastRecording();
      expect(toneSeconds(heard, 440)).toBeGreaterThanOrEqual(2);
      expect(toneSeconds(heard, 1000)).toBe(0);
      await t.daemon.close(); // finishes the speaker WAV
      expect(await speakerTone(t.speakerWav, 1000)).toBeGreaterThanOrEqual(2);
      expect(await speakerTone(t.speakerWav, 1400)).toBe(0);
      const types = (await t.daemon.events.recent(50)).map((e) => e.type).reverse();
      for (const step of ['registration', 'ring', 'answer', 'door_open', 'hangup']) expect(types).toContain(step);
      expect(types.indexOf('ring')).toBeLessThan(types.indexOf('answer'));
      expect(types.indexOf('door_open')).toBeLessThan(types.indexOf('hangup'));
      const hangup = t.daemon.events.recent(50).find((e) => e.type === 'hangup')!;
      expect(hangup.by).toBe('remote');
      expect(hangup.duration_s).toBeGreaterThanOrEqual(2);
    } finally {
      await t.stop();
    }
  }, 60_000);

  test('sequential plan: the first phone rejects, the second answers', async () => {
    const t = await startDoorLab({ basePort: 23000, phones: ['200', '201'], mode: 'sequential' });
    try {
      const a = await t.lab.phone({ user: '200', tone: 1000, codecs: ['pcmu'], answer: 'reject' });
      const b = await t.lab.phone({ user: '201', tone: 1400, codecs: ['pcmu'], answer: 'auto' });
      await a.waitRegistered();
      await b.waitRegistered();
      await press(t.api);
      await a.waitEvent('CALL_INCOMING', 5000);
      await b.waitEvent('CALL_ESTABLISHED', 5000);
      const call = await waitFor('connected', async () => {
        const c = (await t.status()).calls[0];
        return c.state === 'connected' ? c : null;
      }, 5000);
      expect(call.peer).toBe('201');
      await t.api('/api/calls/hangup', { method: 'POST' });
      await b.waitEvent('CALL_CLOSED', 5000);
    } finally {
      await t.stop();
    }
  }, 60_000);

  test('sequential plan: the first phone does not answer, the second answers after its slot', async () => {
    const t = await startDoorLab({ basePort: 24000, phones: ['200', '201'], mode: 'sequential' });
    try {
      const a = await t.lab.phone({ user: '200', codecs: ['pcmu'], answer: 'manual' });
      const b = await t.lab.phone({ user: '201', codecs: ['pcmu'], answer: 'auto' });
      await a.waitRegistered();
      await b.waitRegistered();
      await press(t.api);
      await a.waitEvent('CALL_INCOMING', 5000);
      await a.waitEvent('CALL_CLOSED', 8000); // cancelled after sequential_ring_s = 4
      await b.waitEvent('CALL_ESTABLISHED', 5000);
      await waitFor('connected', async () => (await t.status()).calls[0].state === 'connected', 5000);
    } finally {
      await t.stop();
    }
  }, 60_000);

  test('a phone calls the door through Kamailio and is auto-answered with two-way audio', async () => {
    const t = await startDoorLab({ basePort: 25000, phones: ['200'] });
    try {
      const a = await t.lab.phone({ user: '200', tone: 1000, codecs: ['pcmu'], answer: 'auto' });
      await a.waitRegistered();
      await a.dial(t.lab.uri('door'));
      await a.waitEvent('CALL_ESTABLISHED', 5000);
      const call = (await t.status()).calls[0];
      expect(call).toMatchObject({ direction: 'incoming', state: 'connected' });
      await new Promise((r) => setTimeout(r, 2500));
      await a.hangup();
      await waitFor('ended', async () => (await t.status()).calls[0].state === 'ended', 5000);
      expect(toneSeconds(await a.lastRecording(), 440)).toBeGreaterThanOrEqual(1.5);
      await t.daemon.close();
      expect(await speakerTone(t.speakerWav, 1000)).toBeGreaterThanOrEqual(1.5);
    } finally {
      await t.stop();
    }
  }, 60_000);

  test('five wrong codes lock the door; the right code during the lockout does not open it', async () => {
    const t = await startDoorLab({ basePort: 26000, phones: ['200'] });
    try {
      const a = await t.lab.phone({ user: '200', codecs: ['pcmu'], answer: 'auto' });
      await a.waitRegistered();
      await press(t.api);
      await a.waitEvent('CALL_ESTABLISHED', 5000);
      await waitFor('connected', async () => (await t.status()).calls[0].state === 'connected', 5000);
      for (let i = 0; i < 5; i++) await a.sendDtmf('9999#', 120);
      await waitFor('lockout', async () => (await t.events()).some((e) => e.type === 'lockout'), 8000);
      await a.sendDtmf('1234#', 120);
      await waitFor('refusal logged', async () => (await t.events()).some((e) => e.type === 'code_failed' && e.locked === true), 5000);
      expect((await t.status()).relays.door.state).toBe('off');
      const failed = (await t.events()).filter((e) => e.type === 'code_failed' && !e.locked);
      expect(failed).toHaveLength(5);
      expect((await t.events()).some((e) => e.type === 'door_open')).toBe(false);
      expect((await t.status()).doors.codes.locked).toBe(true);
    } finally {
      await t.stop();
    }
  }, 60_000);

  test('an INVITE straight from an address that is not the registrar gets 403 and rings nothing', async () => {
    const t = await startDoorLab({ basePort: 30000, phones: ['200'] });
    try {
      const a = await t.lab.phone({ user: '200', codecs: ['pcmu'], answer: 'auto' });
      await a.waitRegistered();
      // sipp's builtin UAC from 127.0.0.2 (lo answers all of 127/8): not the registrar's address
      const r = await t.lab.sipp({
        scenario: 'uac',
        target: `127.0.0.1:${t.lab.devicePorts.first}`,
        service: 'door',
        calls: 1,
        recvTimeoutMs: 3000,
        extraArgs: ['-i', '127.0.0.2'],
      });
      expect(r.ok).toBe(false);
      expect(r.messages + r.log).toMatch(/SIP\/2\.0 403/);
      const status = await t.status();
      expect(status.calls).toEqual([]);
      expect(status.sip_counters.rejectedByPolicy).toBeGreaterThanOrEqual(1);
      const rejected = (await t.events()).find((e) => e.type === 'rejected_call');
      expect(rejected).toMatchObject({ status: 403, reason: 'source not allowed' });
      expect(String(rejected!.source)).toMatch(/^127\.0\.0\.2:/);
      expect((await t.events()).some((e) => e.type === 'incoming_call' || e.type === 'answer')).toBe(false);
    } finally {
      await t.stop();
    }
  }, 60_000);

  for (const [i, codec, phoneCodec] of [
    [0, 'pcmu', 'pcmu'],
    [1, 'g722', 'g722'],
    [2, 'opus', 'opus'],
  ] as const) {
    test(`audio both ways and a door code with ${codec}`, async () => {
      const t = await startDoorLab({ basePort: 27000 + 1000 * i, phones: ['200'], codecs: [codec] });
      try {
        const a = await t.lab.phone({ user: '200', tone: 1000, codecs: [phoneCodec], answer: 'auto' });
        await a.waitRegistered();
        await press(t.api);
        await a.waitEvent('CALL_ESTABLISHED', 5000);
        const call = await waitFor('connected', async () => {
          const c = (await t.status()).calls[0];
          return c.state === 'connected' ? c : null;
        }, 5000);
        expect(call.codec).toBe(codec);
        await new Promise((r) => setTimeout(r, 3000));
        // baresip offers telephone-event only at 8000 Hz, also with Opus: the door code must still work
        await a.sendDtmf('1234#', 120);
        await waitFor('relay on', async () => (await t.status()).relays.door.state === 'on', 5000);
        await a.hangup();
        await waitFor('ended', async () => (await t.status()).calls[0].state === 'ended', 5000);
        const heard = await a.lastRecording();
        expect(toneSeconds(heard, 440)).toBeGreaterThanOrEqual(2);
        expect(toneSeconds(heard, 1000)).toBe(0);
        await t.daemon.close();
        expect(await speakerTone(t.speakerWav, 1000)).toBeGreaterThanOrEqual(2);
        expect(await speakerTone(t.speakerWav, 440)).toBe(0);
      } finally {
        await t.stop();
      }
    }, 60_000);
  }
});
