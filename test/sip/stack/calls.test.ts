import { describe, expect, it } from 'vitest';
import type { IncomingCall } from '../../../daemon/sip/user-agent.js';
import { buildResponse, text } from '../../../daemon/sip/user-agent-core.js';
import type { Endpoint, SipRequest } from '../../../daemon/sip/types.js';
import { run, ScriptedPeer, SDP_A, SDP_B, world } from './harness.js';

const DOOR: Endpoint = { transport: 'udp', address: '10.0.0.10', port: 5060 };

function setup(over = {}) {
  const w = world();
  const door = w.make('10.0.0.10', { allowedSources: ['10.0.0.0/24'], ...over });
  return { w, door };
}

function contactHeader(ip: string) {
  return { name: 'Contact', value: `<sip:x@${ip}:5060>` };
}

describe('UAC retransmissions and failures on UDP', () => {
  it('retransmits INVITE at T1, 2*T1, 4*T1 ... until timer B, then fails with 408 SIP_TIMEOUT', async () => {
    const { w, door } = setup();
    const sink = new ScriptedPeer(w.net, '10.0.0.99');
    const call = door.invite('sip:x@10.0.0.99', { sdp: SDP_A });
    let failure: { status?: number; code: string } | undefined;
    call.on('failed', (f) => (failure = f));
    await run(w.clock, 33_000, 250);
    const t0 = sink.received[0] ? w.net.find('INVITE ')[0].time : 0;
    expect(w.net.find('INVITE ').map((p) => p.time - t0)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(failure).toEqual({ status: 408, reason: 'no answer (timer B)', code: 'SIP_TIMEOUT' });
    expect(door.stats().retransmissions).toBe(6);
  });

  it('uses configured T1 (timers scale)', async () => {
    const { w, door } = setup({ t1: 100 });
    new ScriptedPeer(w.net, '10.0.0.99');
    door.invite('sip:x@10.0.0.99', { sdp: SDP_A });
    await run(w.clock, 7000, 50);
    const inv = w.net.find('INVITE ');
    expect(inv.map((p) => p.time - inv[0].time)).toEqual([0, 100, 300, 700, 1500, 3100, 6300]);
  });

  it('sends no retransmissions over a reliable transport', async () => {
    const w = world();
    const door = w.make('10.0.0.10', { transport: 'tcp' });
    new ScriptedPeer(w.net, '10.0.0.99', 5060, 'tcp');
    const call = door.invite('sip:x@10.0.0.99;transport=tcp', { sdp: SDP_A });
    let failed = false;
    call.on('failed', () => (failed = true));
    await run(w.clock, 33_000, 500);
    expect(w.net.find('INVITE ')).toHaveLength(1);
    expect(failed).toBe(true);
  });
});

describe('UAS 2xx reliability (RFC 3261 13.3.1.4)', () => {
  it('retransmits the 2xx at T1 doubling to T2 until the ACK, and BYEs after 64*T1 without ACK', async () => {
    const { w, door } = setup();
    const caller = new ScriptedPeer(w.net, '10.0.0.20');
    let call: IncomingCall | undefined;
    let ended = '';
    door.on('incoming', (c) => {
      call = c;
      c.on('ended', (e) => (ended = e.reason));
      c.accept(SDP_A);
    });
    const invite: SipRequest = {
      kind: 'request', method: 'INVITE', version: 'SIP/2.0',
      uri: { scheme: 'sip', user: 'door', host: '10.0.0.10', params: {}, headers: {} },
      via: [{ transport: 'UDP', host: '10.0.0.20', port: 5060, params: { branch: 'z9hG4bK-a1', rport: null } }],
      from: { uri: { scheme: 'sip', user: 'x', host: '10.0.0.20', params: {}, headers: {} }, params: { tag: 'caller' } },
      to: { uri: { scheme: 'sip', user: 'door', host: '10.0.0.10', params: {}, headers: {} }, params: {} },
      callId: 'c-2xx', cseq: { seq: 1, method: 'INVITE' },
      headers: [contactHeader('10.0.0.20'), { name: 'Content-Type', value: 'application/sdp' }], body: text(SDP_B),
    };
    caller.send(invite, DOOR);
    await run(w.clock, 33_000, 250);
    const oks = w.net.find('SIP/2.0 200', 5060);
    const t0 = oks[0].time;
    expect(oks.map((p) => p.time - t0)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(call?.state).toBe('terminated');
    expect(ended).toBe('no ACK for the 2xx');
    expect(caller.methods()).toContain('BYE');
  });

  it('holds a callee hang-up until the ACK arrives (RFC 3261 15)', async () => {
    const { w, door } = setup();
    const flat = w.make('10.0.0.20', { user: 'flat' });
    let callee: IncomingCall | undefined;
    door.on('incoming', (c) => {
      callee = c;
      c.accept(SDP_A);
      void c.bye();
    });
    w.net.drop = (p) => p.text.startsWith('ACK') && p.time < 1200;
    const call = flat.invite('sip:door@10.0.0.10', { sdp: SDP_B });
    let ended = '';
    call.on('ended', (e) => (ended = e.reason));
    await run(w.clock, 100);
    expect(w.net.find('BYE ')).toHaveLength(0);
    await run(w.clock, 3000, 50);
    const ack = w.net.find('ACK ').filter((p) => !w.net.lost.includes(p))[0];
    const bye = w.net.find('BYE ')[0];
    expect(bye.time).toBeGreaterThanOrEqual(ack.time);
    expect(ended).toBe('remote hangup');
    expect(callee?.state).toBe('terminated');
  });

  it('stops retransmitting once the ACK arrives and reports the call up', async () => {
    const { w, door } = setup();
    const flat = w.make('10.0.0.20', { user: 'flat' });
    let up = false;
    door.on('incoming', (c) => {
      c.on('accepted', () => (up = true));
      c.accept(SDP_A);
    });
    flat.invite('sip:door@10.0.0.10', { sdp: SDP_B });
    await run(w.clock, 5000, 50);
    expect(up).toBe(true);
    expect(w.net.find('SIP/2.0 200', 5060).filter((p) => p.from.address === '10.0.0.10')).toHaveLength(1);
  });
});

describe('CANCEL (RFC 3261 9)', () => {
  it('cancels a ringing call: 200 for the CANCEL, 487 for the INVITE, caller ends "cancelled"', async () => {
    const { w, door } = setup();
    const flat = w.make('10.0.0.20', { user: 'flat', allowedSources: ['10.0.0.10'] });
    let calleeEnd = '';
    flat.on('incoming', (c) => {
      c.on('ended', (e) => (calleeEnd = e.reason));
      c.ring();
    });
    const call = door.invite('sip:flat@10.0.0.20', { sdp: SDP_A });
    let end = '';
    call.on('ended', (e) => (end = e.reason));
    await run(w.clock, 20);
    call.cancel();
    await run(w.clock, 20);
    expect(end).toBe('cancelled');
    expect(calleeEnd).toBe('cancelled');
    expect(w.net.find('SIP/2.0 487')).toHaveLength(1);
    expect(w.net.packets.some((p) => p.text.startsWith('SIP/2.0 200') && p.text.includes('CANCEL'))).toBe(true);
  });

  it('does not send CANCEL before a provisional response; sends it when one arrives', async () => {
    const { w, door } = setup();
    const peer = new ScriptedPeer(w.net, '10.0.0.30');
    const call = door.invite('sip:x@10.0.0.30', { sdp: SDP_A });
    await run(w.clock, 10);
    call.cancel();
    await run(w.clock, 10);
    expect(peer.methods()).toEqual(['INVITE']);
    const inv = peer.received[0];
    peer.send(buildResponse(inv, 180, { toTag: 'p1', headers: [contactHeader('10.0.0.30')] }), DOOR);
    await run(w.clock, 10);
    expect(peer.methods()).toEqual(['INVITE', 'CANCEL']);
    const cancel = peer.received[1];
    expect(cancel.via[0].params.branch).toBe(inv.via[0].params.branch);
    expect(cancel.cseq).toEqual({ seq: inv.cseq.seq, method: 'CANCEL' });
  });

  it('when the 200 crosses the CANCEL the caller ACKs and then BYEs the call', async () => {
    const { w, door } = setup();
    const peer = new ScriptedPeer(w.net, '10.0.0.30');
    const call = door.invite('sip:x@10.0.0.30', { sdp: SDP_A });
    let accepted = false;
    call.on('accepted', () => (accepted = true));
    await run(w.clock, 10);
    const inv = peer.received[0];
    peer.send(buildResponse(inv, 180, { toTag: 'p1', headers: [contactHeader('10.0.0.30')] }), DOOR);
    await run(w.clock, 10);
    call.cancel();
    peer.send(buildResponse(inv, 200, { toTag: 'p1', headers: [contactHeader('10.0.0.30')], body: text(SDP_B) }), DOOR);
    await run(w.clock, 20);
    expect(peer.methods()).toEqual(['INVITE', 'CANCEL', 'ACK', 'BYE']);
    expect(accepted).toBe(false);
  });
});

describe('forking (RFC 3261 13.2.2.4)', () => {
  it('ACKs every 2xx, keeps the first dialog and BYEs the others; re-ACKs a retransmitted 2xx', async () => {
    const { w, door } = setup();
    const proxy = new ScriptedPeer(w.net, '10.0.0.40');
    const a = new ScriptedPeer(w.net, '10.0.0.41');
    const b = new ScriptedPeer(w.net, '10.0.0.42');
    const call = door.invite('sip:x@10.0.0.40', { sdp: SDP_A });
    let accepted = 0;
    call.on('accepted', () => accepted++);
    await run(w.clock, 10);
    const inv = proxy.received[0];
    const okA = buildResponse(inv, 200, { toTag: 'ta', headers: [contactHeader('10.0.0.41')], body: text(SDP_B) });
    const okB = buildResponse(inv, 200, { toTag: 'tb', headers: [contactHeader('10.0.0.42')], body: text(SDP_B) });
    proxy.send(okA, DOOR);
    proxy.send(okB, DOOR);
    await run(w.clock, 20);
    expect(accepted).toBe(1);
    expect(a.methods()).toEqual(['ACK']);
    expect(b.methods()).toEqual(['ACK', 'BYE']);
    proxy.send(okA, DOOR);
    await run(w.clock, 20);
    expect(a.methods()).toEqual(['ACK', 'ACK']);
    expect(a.received[0].to.params.tag).toBe('ta');
    expect(call.state).toBe('confirmed');
  });
});

describe('in-dialog requests', () => {
  async function established() {
    const { w, door } = setup();
    const flat = w.make('10.0.0.20', { user: 'flat', allowedSources: ['10.0.0.10'] });
    let callee: IncomingCall | undefined;
    flat.on('incoming', (c) => {
      callee = c;
      c.accept(SDP_B);
    });
    const call = door.invite('sip:flat@10.0.0.20', { sdp: SDP_A });
    await run(w.clock, 20);
    if (!callee) throw new Error('no call');
    return { w, door, flat, call, callee };
  }

  it('re-INVITE (hold): the callee sees the new offer and its answer reaches the caller', async () => {
    const { w, call, callee } = await established();
    const hold = SDP_A.replace('m=audio 4000 RTP/AVP 0\r\n', 'm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n');
    callee.on('reinvite', (r) => {
      expect(r.sdp).toBe(hold);
      r.answer(SDP_B + 'a=recvonly\r\n');
    });
    const p = call.reinvite(hold);
    await run(w.clock, 20);
    expect(await p).toBe(SDP_B + 'a=recvonly\r\n');
    expect(callee.remoteSdp).toBe(hold);
  });

  it('the callee can send a re-INVITE too (hold from the answering side)', async () => {
    const { w, call, callee } = await established();
    call.on('reinvite', (r) => r.answer(SDP_A + 'a=recvonly\r\n'));
    const p = callee.reinvite(SDP_B + 'a=sendonly\r\n');
    await run(w.clock, 20);
    expect(await p).toBe(SDP_A + 'a=recvonly\r\n');
    expect(call.remoteSdp).toBe(SDP_B + 'a=sendonly\r\n');
  });

  it('glare: both sides re-INVITE at once, both get 491, and the retries (RFC 3261 14.1 timings) succeed', async () => {
    const { w, call, callee } = await established();
    const p1 = call.reinvite(SDP_A + 'a=sendonly\r\n');
    const p2 = callee.reinvite(SDP_B + 'a=sendonly\r\n');
    await run(w.clock, 4500, 10);
    const [a1, a2] = await Promise.all([p1, p2]);
    expect(w.net.find('SIP/2.0 491')).toHaveLength(2);
    // the callee retries first (0-2 s) and gets the caller's current SDP; the caller (2.1-4 s)
    // then gets the callee's new one
    expect(a2).toBe(SDP_A);
    expect(a1).toBe(SDP_B + 'a=sendonly\r\n');
  });

  it('the callee hangs up with BYE and the caller ends "remote hangup"', async () => {
    const { w, call, callee } = await established();
    let end = '';
    call.on('ended', (e) => (end = `${e.by}:${e.reason}`));
    const p = callee.bye();
    await run(w.clock, 20);
    await p;
    expect(end).toBe('remote:remote hangup');
  });

  it('INFO is answered 200 and its body surfaced', async () => {
    const { w, call, callee } = await established();
    const got: string[] = [];
    callee.on('info', (i) => got.push(`${i.contentType}|${i.body}`));
    const p = call.sendInfo('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n');
    await run(w.clock, 20);
    expect(await p).toBe(200);
    expect(got).toEqual(['application/dtmf-relay|Signal=5\r\nDuration=160\r\n']);
  });

  it('answers an out-of-order CSeq with 500 and a request for an unknown dialog with 481', async () => {
    const { w, call } = await established();
    const peer = new ScriptedPeer(w.net, '10.0.0.50');
    const d = call.dialog!;
    const mk = (seq: number, toTag: string): SipRequest => ({
      kind: 'request', method: 'INFO', version: 'SIP/2.0',
      uri: { scheme: 'sip', user: 'door', host: '10.0.0.10', params: {}, headers: {} },
      via: [{ transport: 'UDP', host: '10.0.0.50', port: 5060, params: { branch: `z9hG4bK-o${seq}${toTag}` } }],
      from: { ...d.remote, params: { tag: d.remoteTag } },
      to: { ...d.local, params: { tag: toTag } },
      callId: d.callId, cseq: { seq, method: 'INFO' }, headers: [], body: new Uint8Array(0),
    });
    peer.send(mk(5, d.localTag), DOOR);
    await run(w.clock, 5);
    peer.send(mk(3, d.localTag), DOOR);
    peer.send(mk(7, 'nope'), DOOR);
    await run(w.clock, 20);
    expect(peer.responses.map((r) => `${r.cseq.seq}:${r.status}`).sort()).toEqual(['3:500', '5:200', '7:481']);
  });

  it('session timer: the refresher re-INVITEs at half the interval; without refreshes the other side BYEs', async () => {
    const w = world();
    const door = w.make('10.0.0.10', { sessionExpires: 120, allowedSources: ['10.0.0.0/24'] });
    const flat = w.make('10.0.0.20', { user: 'flat', sessionExpires: 120, allowedSources: ['10.0.0.10'] });
    let callee: IncomingCall | undefined;
    flat.on('incoming', (c) => {
      callee = c;
      c.accept(SDP_B);
    });
    const call = door.invite('sip:flat@10.0.0.20', { sdp: SDP_A });
    await run(w.clock, 20);
    const first = w.net.find('SIP/2.0 200').find((p) => p.text.includes('CSeq: 1 INVITE'));
    expect(first?.text).toMatch(/Session-Expires: 120;refresher=uac/);
    await run(w.clock, 61_000, 500);
    const invites = w.net.find('INVITE ').filter((p) => p.from.address === '10.0.0.10');
    expect(invites).toHaveLength(2);
    expect(call.state).toBe('confirmed');
    // the caller goes silent (no more refreshes): the callee BYEs before expiry
    w.net.drop = (p) => p.from.address === '10.0.0.10' && p.text.startsWith('INVITE');
    let end = '';
    callee?.on('ended', (e) => (end = e.reason));
    await run(w.clock, 120_000, 1000);
    expect(end).toBe('session timer expired');
  });
});

describe('request validation and methods', () => {
  function raw(method: string, extra: string[] = []) {
    return [
      `${method} sip:door@10.0.0.10 SIP/2.0`,
      `Via: SIP/2.0/UDP 10.0.0.60:5060;branch=z9hG4bK-${method}${extra.length}`,
      'From: <sip:x@10.0.0.60>;tag=f1',
      'To: <sip:door@10.0.0.10>',
      `Call-ID: v-${method}-${extra.length}`,
      `CSeq: 1 ${method}`,
      'Max-Forwards: 70',
      'Contact: <sip:x@10.0.0.60>',
      ...extra,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  }

  it('answers OPTIONS 200 with Allow, Accept and Supported; unknown methods 501; REGISTER 405; unsupported Require 420', async () => {
    const { w } = setup();
    const peer = new ScriptedPeer(w.net, '10.0.0.60');
    w.net.inject(peer.transport.local, DOOR, raw('OPTIONS'));
    w.net.inject(peer.transport.local, DOOR, raw('FOO'));
    w.net.inject(peer.transport.local, DOOR, raw('REGISTER'));
    w.net.inject(peer.transport.local, DOOR, raw('INVITE', ['Require: 100rel, foo']));
    await run(w.clock, 20);
    const by = (m: string) => peer.responses.find((r) => r.cseq.method === m)!;
    expect(by('OPTIONS').status).toBe(200);
    expect(by('OPTIONS').headers.map((h) => h.name)).toEqual(expect.arrayContaining(['Allow', 'Accept', 'Supported']));
    expect(by('FOO').status).toBe(501);
    expect(by('REGISTER').status).toBe(405);
    expect(by('INVITE').status).toBe(420);
    expect(by('INVITE').headers.find((h) => h.name === 'Unsupported')?.value).toBe('100rel, foo');
  });

  it('answers 482 to the same INVITE arriving by a second path (merged request, RFC 3261 8.2.2.2)', async () => {
    const { w, door } = setup();
    let rang = 0;
    door.on('incoming', (c) => {
      rang++;
      c.ring();
    });
    const peer = new ScriptedPeer(w.net, '10.0.0.64');
    const inv = raw('INVITE');
    w.net.inject(peer.transport.local, DOOR, inv);
    w.net.inject(peer.transport.local, DOOR, inv.replace('branch=z9hG4bK-INVITE0', 'branch=z9hG4bK-other'));
    await run(w.clock, 5);
    expect(rang).toBe(1);
    expect(peer.responses.map((r) => r.status).sort()).toEqual([180, 482]);
  });

  it('answers a retransmitted OPTIONS from the transaction, not twice from the core', async () => {
    const { w, door } = setup();
    const peer = new ScriptedPeer(w.net, '10.0.0.60');
    w.net.inject(peer.transport.local, DOOR, raw('OPTIONS'));
    await run(w.clock, 5);
    w.net.inject(peer.transport.local, DOOR, raw('OPTIONS'));
    await run(w.clock, 5);
    expect(peer.responses).toHaveLength(2);
    expect(door.stats().retransmissions).toBe(1);
  });

  it('adds received and rport to the Via and answers to the source port (RFC 3581)', async () => {
    const { w } = setup();
    const peer = new ScriptedPeer(w.net, '10.0.0.61', 40000);
    const msg = raw('OPTIONS').replace('10.0.0.60:5060;branch', '192.168.1.5:5060;rport;branch');
    w.net.inject(peer.transport.local, DOOR, msg);
    await run(w.clock, 5);
    expect(peer.responses).toHaveLength(1);
    expect(peer.responses[0].via[0].params).toMatchObject({ rport: '40000', received: '10.0.0.61' });
  });

  it('answers a request it can identify but not parse with a stateless 400 naming the problem', async () => {
    const { w, door } = setup();
    const peer = new ScriptedPeer(w.net, '10.0.0.63');
    w.net.inject(peer.transport.local, DOOR, raw('OPTIONS').replace('CSeq: 1 OPTIONS', 'CSeq: x OPTIONS'));
    await run(w.clock, 5);
    expect(door.stats().parseErrors).toBe(1);
    const answers = w.net.packets.filter((p) => p.to.address === '10.0.0.63').map((p) => p.text.split('\r\n')[0]);
    expect(answers).toEqual(['SIP/2.0 400 CSeq "x OPTIONS" does not start with a number']);
  });

  it('drops unparseable datagrams and counts them', async () => {
    const { w, door } = setup();
    w.net.inject({ transport: 'udp', address: '10.0.0.62', port: 5060 }, DOOR, 'garbage\r\n\r\n');
    await run(w.clock, 5);
    expect(door.stats().parseErrors).toBe(1);
  });
});

describe('rate limiting', () => {
  it('a flood of 10,000 OPTIONS in one second from one source does not stop an INVITE from the registrar', async () => {
    const w = world();
    const door = w.make('10.0.0.10');
    await door.start();
    await run(w.clock, 20);
    const flood = new ScriptedPeer(w.net, '10.6.6.6');
    let rang = false;
    door.on('incoming', (c) => {
      rang = true;
      c.ring();
    });
    const opts = (i: number) =>
      `OPTIONS sip:door@10.0.0.10 SIP/2.0\r\nVia: SIP/2.0/UDP 10.6.6.6:5060;branch=z9hG4bK-f${i}\r\nFrom: <sip:f@10.6.6.6>;tag=a\r\nTo: <sip:door@10.0.0.10>\r\nCall-ID: f${i}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
    for (let ms = 0; ms < 1000; ms++) {
      for (let i = 0; i < 10; i++) w.net.inject(flood.transport.local, DOOR, opts(ms * 10 + i));
      if (ms === 500) {
        const pbx = new ScriptedPeer(w.net, '10.0.0.1', 6000);
        pbx.send(
          {
            kind: 'request', method: 'INVITE', version: 'SIP/2.0',
            uri: { scheme: 'sip', user: 'door', host: '10.0.0.10', params: {}, headers: {} },
            via: [{ transport: 'UDP', host: '10.0.0.1', port: 6000, params: { branch: 'z9hG4bK-pbx' } }],
            from: { uri: { scheme: 'sip', user: '100', host: 'pbx.lan', params: {}, headers: {} }, params: { tag: 'p' } },
            to: { uri: { scheme: 'sip', user: 'door', host: 'pbx.lan', params: {}, headers: {} }, params: {} },
            callId: 'pbx-call', cseq: { seq: 1, method: 'INVITE' },
            headers: [contactHeader('10.0.0.1'), { name: 'Content-Type', value: 'application/sdp' }], body: text(SDP_B),
          },
          DOOR,
        );
      }
      w.clock.advance(1);
    }
    await run(w.clock, 10);
    expect(rang).toBe(true);
    const s = door.stats();
    expect(s.rateLimited).toBeGreaterThan(9000);
    expect(flood.responses.length).toBeLessThan(200);
  });
});

describe('overload', () => {
  it('when many sources fill the transaction table, an INVITE from the registrar still rings', async () => {
    const w = world();
    const door = w.make('10.0.0.10', { maxServerTransactions: 100 });
    await door.start();
    await run(w.clock, 20);
    const opts = (src: number, i: number) =>
      `OPTIONS sip:door@10.0.0.10 SIP/2.0\r\nVia: SIP/2.0/UDP 10.7.0.${src}:5060;branch=z9hG4bK-m${src}-${i}\r\nFrom: <sip:f@10.7.0.${src}>;tag=a\r\nTo: <sip:door@10.0.0.10>\r\nCall-ID: m${src}-${i}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
    for (let src = 1; src <= 20; src++) {
      for (let i = 0; i < 20; i++) w.net.inject({ transport: 'udp', address: `10.7.0.${src}`, port: 5060 }, DOOR, opts(src, i));
    }
    await run(w.clock, 5);
    expect(door.layer.activeTransactions.server).toBe(100);
    expect(door.layer.stats().dropped).toBe(300);
    let rang = false;
    door.on('incoming', (c) => {
      rang = true;
      c.ring();
    });
    const pbx = w.make('10.0.0.1', { user: 'pbx', expires: 0, allowDirectCalls: true }, 6000);
    pbx.invite('sip:door@10.0.0.10', { sdp: SDP_B });
    await run(w.clock, 20);
    expect(rang).toBe(true);
  });
});
