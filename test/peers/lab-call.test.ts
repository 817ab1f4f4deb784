import { describe, test, expect } from 'vitest';
import { startLab } from '../support/peers/lab.js';
import { toneSeconds, wavSeconds } from '../support/peers/goertzel.js';
import { processGroupMembers, run, waitFor } from '../support/peers/proc.js';

const BASE = 13000;

describe('peer lab: two baresip phones through kamailio', () => {
  test('phone A calls B with 407 auth, tones cross both ways, DTMF arrives, stop leaves nothing behind', async () => {
    const lab = await startLab({ basePort: BASE, users: { '100': 'pw100', '200': 'pw200' } });
    let pgids: number[] = [];
    try {
      const a = await lab.phone({ user: '100', tone: 1000, codecs: ['pcmu'] });
      const b = await lab.phone({ user: '200', tone: 600, codecs: ['pcmu'] });
      pgids = [lab.kamailio.proc.pid, a.proc.pid, b.proc.pid];
      await Promise.all([a.waitRegistered(), b.waitRegistered()]);
      expect(await lab.isRegistered('100')).toBe(true);
      expect(await lab.isRegistered('200')).toBe(true);
      expect(await lab.isRegistered('300')).toBe(false);
      expect(await lab.kamailio.registeredUsers()).toEqual(['100', '200']);
      const [binding] = await lab.kamailio.bindings('200');
      expect(binding.address).toContain(`@127.0.0.1:${b.ports.sip}`);
      expect(binding.userAgent).toMatch(/baresip/);
      expect(binding.socket).toBe(`udp:127.0.0.1:${BASE}`);
      expect(binding.expires).toBeGreaterThan(500);
      // REGISTER was challenged with 401 before it was accepted
      expect(lab.kamailio.trace('LAB-CHALLENGE').some((l) => l.includes('REGISTER user=100'))).toBe(true);

      await a.dial(lab.uri('200'));
      await a.waitEvent('CALL_ESTABLISHED', 5000);
      await b.waitEvent('CALL_ESTABLISHED', 5000);
      // the INVITE went through a 407 challenge at the proxy
      expect(lab.kamailio.trace('LAB-CHALLENGE').some((l) => l.includes('INVITE user=100'))).toBe(true);

      await new Promise((r) => setTimeout(r, 1500));
      await a.sendDtmf('1234#');
      await b.waitEvent('CALL_DTMF_START', 3000, { match: (e) => e.param === '#' });
      await a.hangup();
      await b.waitEvent('CALL_CLOSED', 5000);
      await a.waitEvent('CALL_CLOSED', 5000);

      expect(b.receivedDtmf()).toBe('1234#');
      // ~3 s of 20 ms packets each way, counted by the phones themselves
      await waitFor(() => a.lastCallRtpStats() && b.lastCallRtpStats(), { timeoutMs: 2000, what: 'call summaries in the phone logs' });
      expect(a.lastCallRtpStats()!.rxPackets).toBeGreaterThan(100);
      expect(a.lastCallRtpStats()!.txPackets).toBeGreaterThan(100);
      expect(b.lastCallRtpStats()!.rxErrors).toBe(0);
      expect(b.log()).toContain("received event: '4' (end=1)");

      const heardByA = await a.lastRecording();
      const heardByB = await b.lastRecording();
      expect(wavSeconds(heardByA)).toBeGreaterThan(2);
      expect(toneSeconds(heardByA, 600)).toBeGreaterThanOrEqual(1.5);
      expect(toneSeconds(heardByB, 1000)).toBeGreaterThanOrEqual(1.5);
      // and nobody hears their own tone
      expect(toneSeconds(heardByA, 1000)).toBe(0);
      expect(toneSeconds(heardByB, 600)).toBe(0);
    } finally {
      await lab.stop();
    }
    for (const pg of pgids) expect(processGroupMembers(pg)).toEqual([]);
    expect(lab.livePids()).toEqual([]);
    const left = await run('pgrep', ['-f', `SIP_PORT=${BASE}`]);
    expect(left.stdout.trim()).toBe('');
  });
});
