import { describe, expect, it } from 'vitest';
import type { RegistrationEvent } from '../../../daemon/sip/registration.js';
import type { IncomingCall } from '../../../daemon/sip/user-agent.js';
import { REGISTRAR_IP, run, SDP_A, SDP_B, world } from './harness.js';

describe('registration with digest', () => {
  it('registers after a 401 challenge and refreshes before expiry', async () => {
    const w = world();
    const ua = w.make('10.0.0.10');
    const states: RegistrationEvent[] = [];
    ua.on('registration', (e) => states.push(e));
    await ua.start();
    await run(w.clock, 50);
    expect(states.map((s) => s.state)).toEqual(['registering', 'registered']);
    expect(states[1].expires).toBe(600);
    expect(w.registrar.bindings.get('door')?.contact).toBe('<sip:door@10.0.0.10:5060>');
    const before = w.registrar.requests.length;
    await run(w.clock, 301_000, 1000);
    expect(w.registrar.requests.length).toBeGreaterThan(before);
    expect(ua.registration?.state).toBe('registered');
    // the refresh keeps Call-ID and raises CSeq (RFC 3261 10.2.4)
    const regs = w.registrar.requests.filter((r) => r.method === 'REGISTER');
    expect(new Set(regs.map((r) => r.callId)).size).toBe(1);
    expect(regs.map((r) => r.cseq.seq)).toEqual([...regs.map((r) => r.cseq.seq)].sort((a, b) => a - b));
  });

  it('fails with an auth reason on a wrong password and retries with backoff', async () => {
    const w = world();
    const ua = w.make('10.0.0.10', { password: 'wrong' });
    const states: RegistrationEvent[] = [];
    ua.on('registration', (e) => states.push(e));
    await ua.start();
    await run(w.clock, 50);
    expect(states.at(-1)?.state).toBe('failed');
    expect(states.at(-1)?.reason).toMatch(/authentication failed/);
    expect(states.at(-1)?.code).toBe('SIP_AUTH_FAILED');
    const n = w.registrar.requests.length;
    expect(n).toBe(2); // one challenge, one attempt with credentials: no loop
    await run(w.clock, 2100, 100);
    expect(w.registrar.requests.length).toBeGreaterThan(n);
  });

  it('retries with Min-Expires after 423 Interval Too Brief', async () => {
    const w = world();
    w.registrar.minExpires = 1200;
    const ua = w.make('10.0.0.10', { expires: 60 });
    await ua.start();
    await run(w.clock, 50);
    expect(ua.registration?.state).toBe('registered');
    expect(ua.registration?.granted).toBe(1200);
  });

  it('retries with the new nonce when the challenge says stale=true', async () => {
    const w = world();
    const ua = w.make('10.0.0.10', { expires: 20 });
    await ua.start();
    await run(w.clock, 50);
    expect(ua.registration?.state).toBe('registered');
    // the registrar rotates its nonce; the old one is now stale
    w.registrar.staleNonce = 'n1';
    w.registrar.nonce = 'n2';
    const states: RegistrationEvent[] = [];
    ua.on('registration', (e) => states.push(e));
    await run(w.clock, 10_100, 100);
    expect(ua.registration?.state).toBe('registered');
    expect(states.filter((s) => s.state === 'failed')).toEqual([]);
  });

  it('goes back to registering when a refresh fails (PBX restart) and unregisters on close', async () => {
    const w = world();
    const ua = w.make('10.0.0.10', { expires: 60 });
    const states: string[] = [];
    ua.on('registration', (e) => states.push(e.state));
    await ua.start();
    await run(w.clock, 50);
    w.registrar.forceStatus = 500;
    await run(w.clock, 30_100, 10);
    expect(states).toContain('registering');
    expect(states.at(-1)).toBe('failed');
    w.registrar.forceStatus = undefined;
    await run(w.clock, 10_000, 100);
    expect(ua.registration?.state).toBe('registered');
    const closing = ua.close();
    await run(w.clock, 100);
    await closing;
    expect(w.registrar.bindings.has('door')).toBe(false);
    await ua.close();
  });
});

describe('calls between two user agents', () => {
  function pair() {
    const w = world();
    const door = w.make('10.0.0.10', { allowedSources: ['10.0.0.20'] });
    const flat = w.make('10.0.0.20', { user: 'flat', password: 'pw2', allowedSources: ['10.0.0.0/24'] });
    return { w, door, flat };
  }

  it('door calls flat: 180, 200 with SDP answer, ACK, then BYE from the door', async () => {
    const { w, door, flat } = pair();
    await door.start();
    await flat.start();
    let incoming: IncomingCall | undefined;
    flat.on('incoming', (c) => {
      incoming = c;
      c.ring();
    });
    const call = door.invite('sip:flat@10.0.0.20', { sdp: SDP_A });
    const progress: number[] = [];
    let answer = '';
    call.on('progress', (p) => progress.push(p.status));
    call.on('accepted', (a) => (answer = a.sdp));
    await run(w.clock, 20);
    expect(incoming?.offer).toBe(SDP_A);
    expect(incoming?.source.address).toBe('10.0.0.10');
    incoming?.accept(SDP_B);
    let flatUp = false;
    incoming?.on('accepted', () => (flatUp = true));
    await run(w.clock, 20);
    expect(progress).toEqual([180]);
    expect(answer).toBe(SDP_B);
    expect(flatUp).toBe(true);
    expect(call.state).toBe('confirmed');
    let ended = '';
    incoming?.on('ended', (e) => (ended = `${e.by}:${e.reason}`));
    const bye = call.bye();
    await run(w.clock, 20);
    await bye;
    expect(ended).toBe('remote:remote hangup');
    expect(door.stats().activeCalls).toBe(0);
    expect(flat.stats().activeCalls).toBe(0);
  });

  it('flat calls the door (the other way), the door rejects with 486 and the caller fails with the status', async () => {
    const { w, door, flat } = pair();
    door.on('incoming', (c) => c.reject(486));
    const call = flat.invite('sip:door@10.0.0.10', { sdp: SDP_B });
    let failed: number | undefined;
    call.on('failed', (f) => (failed = f.status));
    await run(w.clock, 20);
    expect(failed).toBe(486);
    // the ACK for the 486 is built inside the client transaction (RFC 3261 17.1.1.3)
    expect(w.net.find('ACK ', 5060).length).toBeGreaterThan(0);
  });

  it('answers 403 without ringing when the INVITE comes from a source that is not allowed', async () => {
    const w = world();
    const door = w.make('10.0.0.10');
    const stranger = w.make('192.168.9.9', { user: 'x', allowDirectCalls: true });
    let rang = false;
    door.on('incoming', () => (rang = true));
    const rejected: { from: string; status: number; address: string }[] = [];
    door.on('rejected', (r) => rejected.push({ from: r.from, status: r.status, address: r.source.address }));
    const call = stranger.invite('sip:door@10.0.0.10', { sdp: SDP_B });
    let status: number | undefined;
    call.on('failed', (f) => (status = f.status));
    await run(w.clock, 20);
    expect(status).toBe(403);
    expect(rang).toBe(false);
    expect(door.stats().rejectedByPolicy).toBe(1);
    expect(rejected).toEqual([{ from: 'sip:x@pbx.lan', status: 403, address: '192.168.9.9' }]);
  });

  it('accepts an INVITE from the registrar address on any port', async () => {
    const w = world();
    const door = w.make('10.0.0.10');
    await door.start();
    const pbx = w.make(REGISTRAR_IP, { user: 'pbx', expires: 0 }, 5999);
    let rang = false;
    door.on('incoming', (c) => {
      rang = true;
      c.ring();
    });
    pbx.invite('sip:door@10.0.0.10', { sdp: SDP_B });
    await run(w.clock, 20);
    expect(rang).toBe(true);
  });
});
