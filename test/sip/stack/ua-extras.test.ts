import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../../daemon/sip/types.js';
import { buildResponse, text } from '../../../daemon/sip/user-agent-core.js';
import type { IncomingCall } from '../../../daemon/sip/user-agent.js';
import { run, ScriptedPeer, SDP_A, SDP_B, world } from './harness.js';

const DOOR: Endpoint = { transport: 'udp', address: '10.0.0.10', port: 5060 };

describe('user agent extras', () => {
  it('retries an INVITE answered 422 with Session-Expires raised to Min-SE (RFC 4028)', async () => {
    const w = world();
    const door = w.make('10.0.0.10', { sessionExpires: 90, minSE: 90 });
    const peer = new ScriptedPeer(w.net, '10.0.0.30');
    peer.onRequest = (r) => {
      if (r.method !== 'INVITE') return;
      const se = Number(r.headers.find((h) => h.name === 'Session-Expires')?.value);
      if (se < 600) peer.send(buildResponse(r, 422, { toTag: 'a', headers: [{ name: 'Min-SE', value: '600' }] }), DOOR);
      else peer.send(buildResponse(r, 200, { toTag: 'b', headers: [{ name: 'Contact', value: '<sip:x@10.0.0.30>' }, { name: 'Session-Expires', value: '600;refresher=uac' }], body: text(SDP_B) }), DOOR);
    };
    const call = door.invite('sip:x@10.0.0.30', { sdp: SDP_A });
    let up = false;
    call.on('accepted', () => (up = true));
    await run(w.clock, 20);
    expect(up).toBe(true);
    const invites = peer.received.filter((r) => r.method === 'INVITE');
    expect(invites.map((r) => r.cseq.seq)).toEqual([1, 2]);
    expect(invites[0].callId).toBe(invites[1].callId);
  });

  it('sends CRLF keep-alives to the registrar on UDP at the configured interval', async () => {
    const w = world();
    const door = w.make('10.0.0.10', { keepalive: { method: 'crlf', intervalSeconds: 10 } });
    await door.start();
    await run(w.clock, 30_000, 500);
    const pings = w.net.packets.filter((p) => p.text === '\r\n\r\n' && p.to.address === '10.0.0.1');
    expect(pings.length).toBeGreaterThanOrEqual(3);
    expect(pings.length).toBeLessThanOrEqual(4);
  });

  it('re-registers when OPTIONS keep-alives go unanswered (registrar restarted)', async () => {
    const w = world();
    const door = w.make('10.0.0.10', { keepalive: { method: 'options', intervalSeconds: 30 }, t1: 100 });
    const states: string[] = [];
    door.on('registration', (e) => states.push(e.state));
    await door.start();
    await run(w.clock, 50);
    expect(states).toEqual(['registering', 'registered']);
    w.registrar.down = true;
    await run(w.clock, 45_000, 100);
    expect(states).toContain('failed');
    w.registrar.down = false;
    w.registrar.bindings.clear();
    await run(w.clock, 30_000, 100);
    expect(door.registration?.state).toBe('registered');
    expect(w.registrar.bindings.has('door')).toBe(true);
  });

  it('close() unregisters, BYEs an active call and closes the transports; calling it twice is safe', async () => {
    const w = world();
    const door = w.make('10.0.0.10', { allowedSources: ['10.0.0.0/24'] });
    const flat = w.make('10.0.0.20', { user: 'flat', password: 'pw2', allowedSources: ['10.0.0.0/24'] });
    await door.start();
    await run(w.clock, 20);
    let callee: IncomingCall | undefined;
    flat.on('incoming', (c) => {
      callee = c;
      c.accept(SDP_B);
    });
    door.invite('sip:flat@10.0.0.20', { sdp: SDP_A });
    await run(w.clock, 20);
    let end = '';
    callee?.on('ended', (e) => (end = e.reason));
    const a = door.close();
    const b = door.close();
    await run(w.clock, 20);
    await Promise.all([a, b]);
    expect(end).toBe('remote hangup');
    expect(w.registrar.bindings.has('door')).toBe(false);
    expect(door.registration?.state).toBe('unregistered');
  });

  it('a bare extension is sent as sip:<ext>@<domain> to the registrar address', async () => {
    const w = world();
    const door = w.make('10.0.0.10');
    door.invite('100', { sdp: SDP_A });
    await run(w.clock, 5);
    const inv = w.registrar.requests.find((r) => r.method === 'INVITE');
    expect(inv?.uri.user).toBe('100');
    expect(inv?.uri.host).toBe('pbx.lan');
  });

  it('sends 100 Trying after 200 ms while the TU has not answered, and surfaces early media (183 with SDP)', async () => {
    const w = world();
    const door = w.make('10.0.0.10', { allowedSources: ['10.0.0.0/24'] });
    const flat = w.make('10.0.0.20', { user: 'flat', allowedSources: ['10.0.0.0/24'] });
    let callee: IncomingCall | undefined;
    flat.on('incoming', (c) => (callee = c));
    const call = door.invite('sip:flat@10.0.0.20', { sdp: SDP_A });
    const progress: { status: number; sdp?: string }[] = [];
    call.on('progress', (p) => progress.push(p));
    await run(w.clock, 250, 10);
    expect(progress.map((p) => p.status)).toEqual([100]);
    callee?.ring(SDP_B);
    await run(w.clock, 10);
    expect(progress[1]).toEqual({ status: 183, reason: 'Session Progress', sdp: SDP_B });
    expect(call.state).toBe('proceeding');
  });

  it('rejects an incoming call nobody answers with 480 after the ring timeout', async () => {
    const w = world();
    const door = w.make('10.0.0.10', { allowedSources: ['10.0.0.0/24'], ringTimeoutMs: 30_000 });
    const flat = w.make('10.0.0.20', { user: 'flat' });
    let end = '';
    door.on('incoming', (c) => {
      c.ring();
      c.on('ended', (e) => (end = e.reason));
    });
    const call = flat.invite('sip:door@10.0.0.10', { sdp: SDP_B });
    let status: number | undefined;
    call.on('failed', (f) => (status = f.status));
    await run(w.clock, 29_000, 1000);
    expect(status).toBeUndefined();
    await run(w.clock, 2_000, 100);
    expect(status).toBe(480);
    expect(end).toBe('rejected with 480');
  });
});
