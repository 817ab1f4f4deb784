import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { startLab, type Lab } from '../support/peers/lab.js';
import { sippStep } from '../support/peers/sipp.js';
import { writeTonePcap } from '../support/peers/pcap.js';
import { writeInfoDtmfScenario } from '../support/peers/sipp-scenarios.js';
import { toneSeconds } from '../support/peers/goertzel.js';

const BASE = 14000;
let lab: Lab;

beforeAll(async () => {
  lab = await startLab({ basePort: BASE, users: { '100': 'pw100', '200': 'pw200', '300': 'pw300', '400': 'pw400' } });
});
afterAll(async () => {
  await lab?.stop();
});

describe('peer lab: sipp against kamailio and baresip', () => {
  test('REGISTER with digest auth passes after a 401 and the user is then registered', async () => {
    expect(await lab.isRegistered('300')).toBe(false);
    const r = await lab.sipp({ scenario: 'register-auth.xml', target: lab.registrar, service: '300', auth: { user: '300', password: 'pw300' }, recvTimeoutMs: 2000 });
    expect(r.code, r.errors).toBe(0);
    expect(r.stats.successful).toBe(1);
    expect(sippStep(r.stats, '401', true)?.messages).toBe(1);
    expect(await lab.isRegistered('300')).toBe(true);
  });

  test('REGISTER with a wrong password fails fast with a non-zero exit', async () => {
    const r = await lab.sipp({ scenario: 'register-auth.xml', target: lab.registrar, service: '100', auth: { user: '100', password: 'wrong' }, recvTimeoutMs: 1500 });
    expect(r.code).not.toBe(0);
    expect(r.stats.successful).toBe(0);
    expect(await lab.isRegistered('100')).toBe(false);
  });

  test('UAC call with 407 auth through kamailio plays a PCMU tone pcap that the phone hears', async () => {
    const b = await lab.phone({ user: '200', tone: 600, codecs: ['pcmu'] });
    await b.waitRegistered();
    const pcap = join(lab.dir, 'tone-1400.pcap');
    expect(writeTonePcap(pcap, { freq: 1400, seconds: 2 })).toBe(100);
    const r = await lab.sipp({
      scenario: 'uac-auth-call.xml', target: lab.registrar, service: '200', keys: { caller: '100' },
      auth: { user: '100', password: 'pw100' }, durationMs: 2300, files: { 'tone.pcap': pcap },
    });
    expect(r.code, r.errors).toBe(0);
    expect(sippStep(r.stats, '407', true)?.messages).toBe(1);
    await b.waitEvent('CALL_CLOSED', 3000);
    expect(toneSeconds(await b.lastRecording(), 1400)).toBeGreaterThanOrEqual(1.5);
  });

  test('generated UAC scenario sends DTMF as SIP INFO through the proxy and the phone receives every digit', async () => {
    const b = await lab.phone({ user: '400', codecs: ['pcmu'] });
    await b.waitRegistered();
    const scenario = writeInfoDtmfScenario(join(lab.dir, 'info-dtmf.xml'), { digits: '19*#', auth: true, gapMs: 100 });
    const r = await lab.sipp({ scenario, target: lab.registrar, service: '400', keys: { caller: '100' }, auth: { user: '100', password: 'pw100' }, durationMs: 200 });
    expect(r.code, r.errors).toBe(0);
    expect(sippStep(r.stats, '407', true)?.messages).toBe(1);
    expect(r.stats.steps.filter((s) => s.name === 'INFO').length).toBe(4);
    for (const d of '19*#') expect(b.log()).toContain(`received DTMF: '${d}'`);
    expect(b.receivedDtmf()).toBe('19*#');
  });

  test('UAS that drops the first INVITE sees the UAC retransmit it, then the call completes', async () => {
    const a = await lab.phone({ user: '100', codecs: ['pcmu'], register: false });
    const uas = await lab.startSipp({ scenario: 'uas-drop-first-invite.xml' });
    await uas.ready();
    await a.dial(`sip:drop@127.0.0.1:${uas.opts.port}`);
    await a.waitEvent('CALL_ESTABLISHED', 5000);
    await a.hangup();
    const r = await uas.wait(5000);
    expect(r.code, uas.describe()).toBe(0);
    expect(sippStep(r.stats, 'INVITE', true)?.retrans).toBeGreaterThanOrEqual(1);
  });

  test('UAC that ACKs late sees the phone retransmit its 200 OK', async () => {
    const c = await lab.phone({ user: '300', codecs: ['pcmu'], register: false });
    const r = await lab.sipp({ scenario: 'uac-late-ack.xml', target: `127.0.0.1:${c.ports.sip}`, service: '300', durationMs: 300 });
    expect(r.code, r.errors).toBe(0);
    expect(sippStep(r.stats, '200', true)?.retrans).toBeGreaterThanOrEqual(2);
  });

  test('builtin uas with -rtp_echo sends a phone its own tone back', async () => {
    const a = await lab.phone({ user: '100', tone: 1100, codecs: ['pcmu'], register: false });
    const uas = await lab.startSipp({ scenario: 'uas', rtpEcho: true });
    await uas.ready();
    await a.dial(uas.uri('echo'));
    await a.waitEvent('CALL_ESTABLISHED', 5000);
    await new Promise((r) => setTimeout(r, 1500));
    await a.hangup();
    await a.waitEvent('CALL_CLOSED', 3000);
    const r = await uas.stop(); // the builtin uas would linger 4 s in its timewait
    expect(r.stats.steps.find((s) => s.name === 'BYE')?.messages, uas.describe()).toBe(1);
    expect(toneSeconds(await a.lastRecording(), 1100)).toBeGreaterThanOrEqual(1);
  });

  test('OPTIONS flood: 200 OPTIONS at 200/s to the proxy are all answered', async () => {
    const r = await lab.sipp({ scenario: 'options-flood.xml', target: lab.registrar, service: 'lab', calls: 200, rate: 200, recvTimeoutMs: 2000 });
    expect(r.code, r.errors).toBe(0);
    expect(r.stats.successful).toBe(200);
    expect(r.stats.failed).toBe(0);
    expect(sippStep(r.stats, '200', true)?.messages).toBe(200);
  });
});
