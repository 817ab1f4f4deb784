import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { startLab, type Lab } from '../support/peers/lab.js';
import { toneSeconds } from '../support/peers/goertzel.js';
import { join } from 'node:path';
import { wavInfo, writeWav, sineSamples } from '../support/peers/wav.js';

const BASE = 15000;
let lab: Lab;

beforeAll(async () => {
  lab = await startLab({ basePort: BASE, users: { '100': 'pw100', '200': 'pw200', '201': 'pw201', '202': 'pw202', '300': 'pw300', '301': 'pw301', '302': 'pw302', '303': 'pw303', '304': 'pw304' } });
});
afterAll(async () => {
  await lab?.stop();
});

describe('peer lab: phone answer modes, failures and transports', () => {
  test('a rejecting phone answers 486 and the caller sees the call closed', async () => {
    const a = await lab.phone({ user: '100', codecs: ['pcmu'] });
    const b = await lab.phone({ user: '200', answer: 'reject' });
    await Promise.all([a.waitRegistered(), b.waitRegistered()]);
    await a.dial(lab.uri('200'));
    const closed = await a.waitEvent('CALL_CLOSED', 5000);
    expect(closed.param).toMatch(/486/);
    await b.waitEvent('CALL_INCOMING', 1000);
    expect(a.events.some((e) => e.type === 'CALL_ESTABLISHED')).toBe(false);
  });

  test('a manual phone rings until accept, then both sides are established', async () => {
    const a = await lab.phone({ user: '201', codecs: ['pcmu'] });
    const b = await lab.phone({ user: '202', answer: 'manual', codecs: ['pcmu'] });
    await Promise.all([a.waitRegistered(), b.waitRegistered()]);
    await a.dial(lab.uri('202'));
    await b.waitEvent('CALL_INCOMING', 5000);
    await a.waitEvent('CALL_RINGING', 5000);
    expect(a.events.some((e) => e.type === 'CALL_ESTABLISHED')).toBe(false);
    await b.accept();
    await a.waitEvent('CALL_ESTABLISHED', 5000);
    await b.waitEvent('CALL_ESTABLISHED', 5000);
    await b.hangup();
    await a.waitEvent('CALL_CLOSED', 5000);
  });

  test('a caller that hangs up while the callee rings sends CANCEL through the proxy and the callee stops ringing', async () => {
    const a = lab.phones.find((p) => p.user === '201')!;
    const b = lab.phones.find((p) => p.user === '202')!;
    const sinceA = a.mark();
    const sinceB = b.mark();
    await a.dial(lab.uri('202'));
    await b.waitEvent('CALL_INCOMING', 5000, { since: sinceB });
    await a.waitEvent('CALL_RINGING', 5000, { since: sinceA });
    await a.hangup();
    await b.waitEvent('CALL_CLOSED', 5000, { since: sinceB });
    expect(lab.kamailio.trace('LAB-REQ').some((l) => l.includes('LAB-REQ CANCEL sip:202@'))).toBe(true);
    expect(b.events.slice(sinceB).some((e) => e.type === 'CALL_ESTABLISHED')).toBe(false);
  });

  test('waiting for the next call is not failed by the close of an earlier, established call', async () => {
    const a = lab.phones.find((p) => p.user === '201')!;
    const b = lab.phones.find((p) => p.user === '202')!;
    let bMark = b.mark();
    const aMark = a.mark();
    await a.dial(lab.uri('202'));
    await b.waitEvent('CALL_INCOMING', 5000, { since: bMark });
    await b.accept();
    const first = await a.waitEvent('CALL_ESTABLISHED', 5000, { since: aMark });
    const since = a.mark(); // taken while call 1 is up, as before a BYE
    await a.hangup();
    bMark = b.mark();
    await a.dial(lab.uri('202'));
    await b.waitEvent('CALL_INCOMING', 5000, { since: bMark });
    await b.accept();
    // history after `since`: CALL_CLOSED of call 1, then call 2's events
    const second = await a.waitEvent('CALL_ESTABLISHED', 5000, { since });
    expect(a.events.slice(since).some((e) => e.type === 'CALL_CLOSED' && e.id === first.id)).toBe(true);
    expect(second.id).not.toBe(first.id);
    await a.hangup();
    await b.waitEvent('CALL_CLOSED', 5000, { since: bMark });
  });

  test('calling a user that is not registered gives 404 from the proxy', async () => {
    const a = lab.phones.find((p) => p.user === '201')!;
    const since = a.mark();
    await a.dial(lab.uri('302'));
    // waiting for CALL_ESTABLISHED fails at once with the reason instead of timing out
    await expect(a.waitEvent('CALL_ESTABLISHED', 5000, { since })).rejects.toMatchObject({ code: 'LAB_CALL_CLOSED', message: expect.stringMatching(/call closed \(404 Not Found\)/) });
    const closed = await a.waitEvent('CALL_CLOSED', 5000, { since });
    expect(closed.param).toMatch(/404/);
  });

  test('an unknown user is refused with 403 instead of being challenged forever', async () => {
    const ghost = await lab.phone({ user: 'ghost', password: 'nope' });
    await expect(ghost.waitRegistered(3000)).rejects.toThrow(/registration failed: .*403/);
    expect(lab.kamailio.trace('LAB-AUTH').some((l) => l.includes("unknown user 'ghost'"))).toBe(true);
    expect(await lab.isRegistered('ghost')).toBe(false);
  });

  test('a phone sends a WAV file (aufile, 16 kHz mono) and the callee hears it', async () => {
    const wav = join(lab.dir, 'src-900.wav');
    writeWav(wav, sineSamples(900, 3, 16000), 16000, 1);
    const a = await lab.phone({ user: '303', audioFile: wav, codecs: ['pcmu'] });
    const b = await lab.phone({ user: '304', tone: 500, codecs: ['pcmu'] });
    await Promise.all([a.waitRegistered(), b.waitRegistered()]);
    await a.dial(lab.uri('304'));
    await b.waitEvent('CALL_ESTABLISHED', 5000);
    await new Promise((r) => setTimeout(r, 1500));
    await a.hangup();
    await b.waitEvent('CALL_CLOSED', 5000);
    expect(a.log()).toMatch(/aufile/);
    const heard = await b.lastRecording();
    expect(toneSeconds(heard, 900)).toBeGreaterThanOrEqual(1);
    expect(toneSeconds(heard, 500)).toBe(0);
  });

  test('a phone registers over TCP and a G.722 call carries the tone at 16 kHz', async () => {
    const a = await lab.phone({ user: '300', tone: 1400, codecs: ['g722'], transport: 'tcp' });
    await a.waitRegistered();
    expect((await lab.kamailio.contacts('300')).join(' ')).toMatch(/transport=tcp/i);
    const b = await lab.phone({ user: '301', answer: 'manual', codecs: ['g722', 'pcmu'] });
    await b.waitRegistered();
    const sinceB = b.mark();
    await a.dial(lab.uri('301'));
    await b.waitEvent('CALL_INCOMING', 5000, { since: sinceB });
    await b.accept();
    await a.waitEvent('CALL_ESTABLISHED', 5000);
    await new Promise((r) => setTimeout(r, 1500));
    await a.hangup();
    await b.waitEvent('CALL_CLOSED', 5000, { since: sinceB });
    const rec = await b.lastRecording();
    expect(wavInfo(rec).sampleRate).toBe(16000);
    expect(toneSeconds(rec, 1400)).toBeGreaterThanOrEqual(1);
  });
});
