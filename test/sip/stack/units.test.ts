import { describe, expect, it } from 'vitest';
import { Dialog } from '../../../daemon/sip/dialog.js';
import { KeepAlive, jitteredInterval } from '../../../daemon/sip/keepalive.js';
import { parseMessage } from '../../../daemon/sip/parser.js';
import { serializeMessage } from '../../../daemon/sip/serializer.js';
import { SourcePolicy, normalizeAddress, parseCidr } from '../../../daemon/sip/source-policy.js';
import { TransactionLayer, responseDestination, serverKey } from '../../../daemon/sip/transactions/transaction-layer.js';
import type { SipRequest } from '../../../daemon/sip/types.js';
import { buildResponse, newBranch } from '../../../daemon/sip/user-agent-core.js';
import { formatUri } from '../../../daemon/sip/uri.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeNetwork } from '../../support/fake-transport.js';
import { req, res } from './msg.js';

const parseReq = (s: string) => {
  const p = parseMessage(s);
  if (!p.ok || p.message.kind !== 'request') throw new Error(p.ok ? 'not a request' : p.reason);
  return p.message;
};

describe('dialog (RFC 3261 12)', () => {
  const invite = () =>
    req('INVITE', 'z9hG4bK-d', {
      headers: [{ name: 'Contact', value: '<sip:alice@10.0.0.1:5060>' }],
      cseq: { seq: 7, method: 'INVITE' },
    });

  it('UAC: route set is Record-Route reversed, remote target from Contact, loose routing keeps the target as Request-URI', () => {
    const inv = invite();
    const ok = res(inv, 200, 'bt');
    ok.headers = [
      { name: 'Record-Route', value: '<sip:p2.example.com;lr>' },
      { name: 'Record-Route', value: '<sip:p1.example.com;lr>' },
      { name: 'Contact', value: '<sip:bob@10.0.0.2:5070>' },
    ];
    const d = Dialog.asUac(inv, ok)!;
    expect(d.state).toBe('confirmed');
    expect(d.routeSet.map((r) => r.uri.host)).toEqual(['p1.example.com', 'p2.example.com']);
    const { request, nextHop } = d.createRequest('BYE');
    expect(formatUri(request.uri)).toBe('sip:bob@10.0.0.2:5070');
    expect(request.headers.filter((h) => h.name === 'Route').map((h) => h.value)).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    expect(nextHop.host).toBe('p1.example.com');
    expect(request.cseq).toEqual({ seq: 8, method: 'BYE' });
    expect(request.to.params.tag).toBe('bt');
    expect(request.from.params.tag).toBe('ft');
  });

  it('strict routing: the first route becomes the Request-URI and the remote target goes last', () => {
    const inv = invite();
    const ok = res(inv, 200, 'bt');
    ok.headers = [{ name: 'Record-Route', value: '<sip:strict.example.com>' }, { name: 'Contact', value: '<sip:bob@10.0.0.2>' }];
    const d = Dialog.asUac(inv, ok)!;
    const { request, nextHop } = d.createRequest('INFO');
    expect(formatUri(request.uri)).toBe('sip:strict.example.com');
    expect(request.headers.filter((h) => h.name === 'Route').map((h) => h.value)).toEqual(['<sip:bob@10.0.0.2>']);
    expect(nextHop.host).toBe('strict.example.com');
  });

  it('UAS: route set in order, early until confirmed, remote CSeq must increase', () => {
    const inv = invite();
    inv.headers.push({ name: 'Record-Route', value: '<sip:p1;lr>' }, { name: 'Record-Route', value: '<sip:p2;lr>' });
    const d = Dialog.asUas(inv, 'mytag', '<sip:door@10.0.0.9>')!;
    expect(d.state).toBe('early');
    expect(d.routeSet.map((r) => r.uri.host)).toEqual(['p1', 'p2']);
    expect(d.transition('confirmed')).toBe(true);
    expect(d.transition('early')).toBe(false);
    const bye = req('BYE', 'z9hG4bK-b', { cseq: { seq: 7, method: 'BYE' } });
    expect(d.checkRemoteSeq(bye)).toMatchObject({ ok: false, status: 500 });
    bye.cseq.seq = 8;
    expect(d.checkRemoteSeq(bye)).toEqual({ ok: true });
  });

  it('refuses a 2xx without Contact', () => {
    const inv = invite();
    expect(Dialog.asUac(inv, res(inv, 200, 'x'))).toBeUndefined();
  });
});

describe('source policy', () => {
  it('parses IPv4/IPv6 CIDRs and normalizes mapped addresses', () => {
    expect(parseCidr('10.1.0.0/16')).toEqual({ address: '10.1.0.0', prefix: 16, family: 'ipv4' });
    expect(parseCidr('fd00::/8')?.family).toBe('ipv6');
    expect(parseCidr('pbx.lan')).toBeUndefined();
    expect(parseCidr('10.0.0.1/33')).toBeUndefined();
    expect(normalizeAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeAddress('[fe80::1%eth0]')).toBe('fe80::1');
  });

  it('allows INVITEs from registrar addresses and allow-listed CIDRs only, unless direct calls are on', () => {
    const p = new SourcePolicy({ clock: new FakeClock(), allowedSources: ['192.168.1.0/24', 'fd00::/8'] });
    p.setRegistrarAddresses(['10.0.0.1']);
    const ep = (address: string) => ({ transport: 'udp' as const, address, port: 1 });
    expect(p.allowsInvite(ep('10.0.0.1'))).toBe(true);
    expect(p.allowsInvite(ep('192.168.1.77'))).toBe(true);
    expect(p.allowsInvite(ep('fd12::5'))).toBe(true);
    expect(p.allowsInvite(ep('::ffff:192.168.1.2'))).toBe(true);
    expect(p.allowsInvite(ep('192.168.2.1'))).toBe(false);
    expect(p.allowsInvite(ep('2001:db8::1'))).toBe(false);
    expect(p.stats().rejected).toBe(2);
    const open = new SourcePolicy({ clock: new FakeClock(), allowDirectCalls: true });
    expect(open.allowsInvite(ep('203.0.113.5'))).toBe(true);
  });

  it('token bucket: a burst passes, the excess is dropped and counted, tokens refill with time', () => {
    const clock = new FakeClock();
    const p = new SourcePolicy({ clock, ratePerSecond: 10, burst: 5 });
    const ep = { transport: 'udp' as const, address: '10.9.9.9', port: 1 };
    const admitted = Array.from({ length: 8 }, () => p.admit(ep)).filter(Boolean).length;
    expect(admitted).toBe(5);
    expect(p.stats().rateLimited).toBe(3);
    clock.advance(200);
    expect(p.admit(ep)).toBe(true);
    expect(p.admit(ep)).toBe(true);
    expect(p.admit(ep)).toBe(false);
  });

  it('keeps a bounded number of source buckets', () => {
    const p = new SourcePolicy({ clock: new FakeClock(), maxSources: 100 });
    for (let i = 0; i < 1000; i++) p.admit({ transport: 'udp', address: `10.1.${i >> 8}.${i & 255}`, port: 1 });
    expect(p.stats().trackedSources).toBe(100);
  });
});

describe('keep-alive', () => {
  it('probes every interval (jittered 80-100%) and reports a dead peer', async () => {
    const clock = new FakeClock();
    const probes: number[] = [];
    let dead = 0;
    let alive = true;
    const k = new KeepAlive({ clock, intervalMs: 10_000, method: 'options', probe: async () => (probes.push(clock.now()), alive), onDead: () => dead++ }, () => 0.5);
    k.start();
    clock.advance(30_000);
    expect(probes).toEqual([9000, 18000, 27000]);
    alive = false;
    clock.advance(9000);
    await Promise.resolve();
    await Promise.resolve();
    expect(dead).toBe(1);
    k.stop();
    clock.advance(60_000);
    expect(probes).toHaveLength(4);
    expect(jitteredInterval(1000, () => 0)).toBe(800);
  });
});

describe('transaction layer matching', () => {
  const raw2543 = (method: string, extra = '') =>
    `${method} sip:door@10.0.0.10 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.7:5060\r\nFrom: <sip:old@10.0.0.7>;tag=o1\r\nTo: <sip:door@10.0.0.10>${extra}\r\nCall-ID: legacy-1\r\nCSeq: 1 ${method}\r\nContact: <sip:old@10.0.0.7>\r\nContent-Length: 0\r\n\r\n`;

  it('RFC 2543 fallback: a retransmitted INVITE without magic cookie matches; the ACK for our 486 matches by To tag', () => {
    const clock = new FakeClock();
    const net = new FakeNetwork(clock, 0);
    const t = net.transport('10.0.0.10', 5060);
    const peer = net.transport('10.0.0.7', 5060);
    const got: string[] = [];
    const layer = new TransactionLayer({
      clock, transports: [t], codec: { parse: parseMessage, serialize: serializeMessage }, newBranch,
      makeResponse: (r, s) => buildResponse(r, s),
      onRequest: (r, tx) => {
        got.push(`${r.method}:${tx ? 'tx' : 'none'}`);
        if (tx && r.method === 'INVITE') tx.respond(buildResponse(r, 486, { toTag: 'mine' }));
      },
    });
    const inv = raw2543('INVITE');
    expect(serverKey(parseReq(inv))).toMatch(/^2543\|/);
    net.inject(peer.local, t.local, inv);
    clock.advance(1);
    net.inject(peer.local, t.local, inv);
    clock.advance(1);
    net.inject(peer.local, t.local, raw2543('ACK', ';tag=mine').replace('CSeq: 1 ACK', 'CSeq: 1 ACK'));
    clock.advance(1);
    expect(got).toEqual(['INVITE:tx']);
    const responses = net.packets.filter((p) => p.from.port === 5060 && p.from.address === '10.0.0.10');
    expect(responses.map((p) => p.text.split('\r\n')[0])).toEqual(['SIP/2.0 486 Busy Here', 'SIP/2.0 486 Busy Here']);
    expect(layer.activeTransactions.server).toBe(1);
    clock.advance(5000); // timer I
    expect(layer.activeTransactions.server).toBe(0);
  });

  it('routes responses per RFC 3261 18.2.2: received + sent-by port without rport, source with rport', () => {
    const r: SipRequest = req('OPTIONS');
    r.via[0] = { transport: 'UDP', host: 'phone.lan', port: 5062, params: { branch: 'z9hG4bK-x', received: '10.0.0.3' } };
    expect(responseDestination(r, { transport: 'udp', address: '10.0.0.3', port: 40000 })).toEqual({ transport: 'udp', address: '10.0.0.3', port: 5062 });
    r.via[0].params.rport = '40000';
    expect(responseDestination(r, { transport: 'udp', address: '10.0.0.3', port: 40000 })).toEqual({ transport: 'udp', address: '10.0.0.3', port: 40000 });
    expect(responseDestination(r, { transport: 'tcp', address: '10.0.0.3', port: 40001 })).toEqual({ transport: 'tcp', address: '10.0.0.3', port: 40001 });
  });

  it('adds ;rport and a magic-cookie branch to the Via of requests it sends', () => {
    const clock = new FakeClock();
    const net = new FakeNetwork(clock, 0);
    const t = net.transport('10.0.0.10', 5060);
    const layer = new TransactionLayer({
      clock, transports: [t], codec: { parse: parseMessage, serialize: serializeMessage }, newBranch,
      makeResponse: (r, s) => buildResponse(r, s), onRequest: () => undefined,
    });
    const r = req('OPTIONS');
    r.via = [];
    layer.sendRequest(r, { transport: 'udp', address: '10.0.0.2', port: 5060 }, { onResponse: () => undefined, onTimeout: () => undefined, onTransportError: () => undefined });
    expect(net.packets[0].text).toMatch(/^Via: SIP\/2\.0\/UDP 10\.0\.0\.10:5060;branch=z9hG4bK[^;\r]+;rport\r$/m);
  });
});
