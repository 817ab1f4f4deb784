import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { systemClock } from '../../../daemon/util/clock.js';
import { TcpTransport } from '../../../daemon/sip/transport-tcp.js';
import { TlsTransport } from '../../../daemon/sip/transport-tls.js';
import { UdpTransport } from '../../../daemon/sip/transport-udp.js';
import { UserAgent, type IncomingCall } from '../../../daemon/sip/user-agent.js';
import type { RegistrationEvent } from '../../../daemon/sip/registration.js';
import { startLab, type LabOptions } from '../../support/peers/lab.js';
import { sippStep } from '../../support/peers/sipp.js';

/**
 * Labs on a random base in 17000..21900 (clear of the other suites' fixed bases), retried when
 * the ports are busy (the same file may run twice at once on a shared machine).
 */
async function openLab(opts: Omit<LabOptions, 'basePort'>) {
  for (let attempt = 0; ; attempt++) {
    const basePort = 17000 + 100 * Math.floor(Math.random() * 50);
    try {
      return await startLab({ ...opts, basePort });
    } catch (err) {
      if (attempt >= 6 || !/already in use/.test((err as Error).message)) throw err;
    }
  }
}

const sdp = (port: number) =>
  `v=0\r\no=portier 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n`;

function until<T>(what: string, ms: number, attach: (resolve: (v: T) => void, reject: (e: Error) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${what}`)), ms);
    attach(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

describe('interop with kamailio and baresip', () => {
  test('registers with digest, calls a phone through the proxy (407) both ways', async () => {
    const lab = await openLab({ users: { door: 'doorpw', '200': 'pw200' } });
    let ua: UserAgent | undefined;
    try {
      const phone = await lab.phone({ user: '200', codecs: ['pcmu'], answer: 'auto' });
      await phone.waitRegistered();
      const port = lab.devicePorts.first;
      const udp = await new UdpTransport({ address: '127.0.0.1', port }).listen();
      ua = new UserAgent({
        transports: [udp],
        clock: systemClock,
        config: { user: 'door', password: 'doorpw', domain: '127.0.0.1', registrar: `sip:${lab.registrar}`, transport: 'udp', expires: 300, sessionExpires: 0 },
      });
      const regs: RegistrationEvent[] = [];
      const registered = until<void>('registration', 5000, (resolve, reject) =>
        ua!.on('registration', (e) => {
          regs.push(e);
          if (e.state === 'registered') resolve();
          if (e.state === 'failed') reject(new Error(e.reason));
        }),
      );
      await ua.start();
      await registered;
      expect(await lab.isRegistered('door')).toBe(true);

      // door -> 200 through kamailio (INVITE challenged with 407, Record-Route, loose routing for BYE)
      const call = ua.invite('200', { sdp: sdp(port + 10) });
      const answer = await until<string>('answer from baresip', 5000, (resolve, reject) => {
        call.on('accepted', (a) => resolve(a.sdp));
        call.on('failed', (f) => reject(new Error(f.reason)));
      });
      expect(answer).toMatch(/m=audio \d+ RTP\/AVP 0/);
      await phone.waitEvent('CALL_ESTABLISHED', 5000);
      expect(lab.kamailio.trace('LAB-CHALLENGE').some((l) => l.includes('REGISTER user=door'))).toBe(true);
      expect(lab.kamailio.trace('LAB-CHALLENGE').some((l) => l.includes('INVITE user=door'))).toBe(true);
      expect(call.dialog?.routeSet.length).toBeGreaterThan(0);
      // hold: a re-INVITE with a=sendonly through the proxy; baresip answers recvonly
      const held = await call.reinvite(sdp(port + 10).replace('a=sendrecv', 'a=sendonly'));
      expect(held).toMatch(/a=recvonly/);
      const resumed = await call.reinvite(sdp(port + 10));
      expect(resumed).toMatch(/a=sendrecv/);
      const since = phone.mark();
      await call.bye();
      await phone.waitEvent('CALL_CLOSED', 5000, { since });

      // 200 -> door through kamailio: accepted from the registrar's address
      const incoming = until<IncomingCall>('incoming call', 5000, (resolve) => ua!.once('incoming', resolve));
      await phone.dial(lab.uri('door'));
      const inc = await incoming;
      expect(inc.source.address).toBe('127.0.0.1');
      expect(inc.source.port).toBe(lab.kamailio.port);
      const up = until<void>('ACK', 5000, (resolve) => inc.on('accepted', () => resolve()));
      inc.ring();
      inc.accept(sdp(port + 12));
      await up;
      await phone.waitEvent('CALL_ESTABLISHED', 5000, { since });
      // the door hangs up the call it answered: BYE from the UAS through the Record-Route set
      const mark = phone.mark();
      await inc.bye();
      await phone.waitEvent('CALL_CLOSED', 5000, { since: mark });
      expect(inc.state).toBe('terminated');
    } finally {
      await ua?.close();
      await lab.stop();
    }
  }, 40_000);

  for (const proto of ['tcp', 'tls'] as const) {
    test(`registers and calls both ways over ${proto.toUpperCase()}`, async () => {
      const lab = await openLab({ users: { door: 'doorpw', '200': 'pw200' }, tls: proto === 'tls' });
      let ua: UserAgent | undefined;
      try {
        const phone = await lab.phone({ user: '200', codecs: ['pcmu'], answer: 'auto' });
        await phone.waitRegistered();
        const port = lab.devicePorts.first;
        const transport =
          proto === 'tcp'
            ? await new TcpTransport({ address: '127.0.0.1', port }).listen()
            : await (() => {
                const cert = readFileSync(lab.tls!.certPath, 'utf8');
                const key = readFileSync(lab.tls!.keyPath, 'utf8');
                return new TlsTransport({ address: '127.0.0.1', port, cert, key, ca: cert }).listen();
              })();
        const registrar = proto === 'tcp' ? `sip:${lab.registrar};transport=tcp` : `sip:127.0.0.1:${lab.tls!.port};transport=tls`;
        ua = new UserAgent({
          transports: [transport],
          clock: systemClock,
          config: { user: 'door', password: 'doorpw', domain: '127.0.0.1', registrar, transport: proto, expires: 300, sessionExpires: 0 },
        });
        const registered = until<void>('registration', 5000, (resolve, reject) =>
          ua!.on('registration', (e) => {
            if (e.state === 'registered') resolve();
            if (e.state === 'failed') reject(new Error(e.reason));
          }),
        );
        await ua.start();
        await registered;
        expect((await lab.kamailio.contacts('door')).join(' ')).toContain(`transport=${proto}`);

        const call = ua.invite('200', { sdp: sdp(port + 10) });
        await until<string>('answer', 5000, (resolve, reject) => {
          call.on('accepted', (a) => resolve(a.sdp));
          call.on('failed', (f) => reject(new Error(f.reason)));
        });
        const mark = phone.mark();
        await call.bye();
        await phone.waitEvent('CALL_CLOSED', 5000, { since: mark });

        const incoming = until<IncomingCall>('incoming call', 5000, (resolve) => ua!.once('incoming', resolve));
        await phone.dial(lab.uri('door'));
        const inc = await incoming;
        expect(inc.source.transport).toBe(proto);
        const up = until<void>('ACK', 5000, (resolve) => inc.on('accepted', () => resolve()));
        inc.accept(sdp(port + 12));
        await up;
        const ended = until<string>('BYE', 5000, (resolve) => inc.on('ended', (e) => resolve(e.reason)));
        await phone.hangup();
        expect(await ended).toBe('remote hangup');
        expect(ua.stats().retransmissions).toBe(0);
      } finally {
        await ua?.close();
        await lab.stop();
      }
    }, 40_000);
  }

  test('an OPTIONS flood from another address (sipp, 127.0.0.2) does not stop a call from the PBX', async () => {
    const lab = await openLab({ users: { door: 'doorpw', '200': 'pw200' } });
    let ua: UserAgent | undefined;
    try {
      const phone = await lab.phone({ user: '200', codecs: ['pcmu'], answer: 'auto' });
      await phone.waitRegistered();
      const port = lab.devicePorts.first;
      const udp = await new UdpTransport({ address: '127.0.0.1', port }).listen();
      ua = new UserAgent({
        transports: [udp],
        clock: systemClock,
        config: { user: 'door', password: 'doorpw', domain: '127.0.0.1', registrar: `sip:${lab.registrar}`, transport: 'udp', expires: 300, sessionExpires: 0 },
      });
      const registered = until<void>('registration', 5000, (resolve) => ua!.on('registration', (e) => e.state === 'registered' && resolve()));
      await ua.start();
      await registered;
      ua.on('incoming', (c) => {
        c.ring();
        c.accept(sdp(port + 10));
      });
      const flood = await lab.startSipp({
        scenario: 'options-flood.xml', target: `127.0.0.1:${port}`, service: 'door', calls: 6000, rate: 3000,
        recvTimeoutMs: 500, extraArgs: ['-i', '127.0.0.2'],
      });
      await new Promise((r) => setTimeout(r, 700));
      const mark = phone.mark();
      const t0 = Date.now();
      await phone.dial(lab.uri('door'));
      await phone.waitEvent('CALL_ESTABLISHED', 5000, { since: mark });
      const setupMs = Date.now() - t0;
      await phone.hangup();
      await flood.wait(30_000);
      const st = ua.stats();
      expect(st.rateLimited).toBeGreaterThan(1000);
      expect(setupMs).toBeLessThan(4000);
    } finally {
      await ua?.close();
      await lab.stop();
    }
  }, 60_000);

  test('sipp: the door retransmits its 200 until a late ACK, and retransmits an INVITE the far end dropped', async () => {
    const lab = await openLab({ users: { door: 'doorpw' } });
    let ua: UserAgent | undefined;
    try {
      const port = lab.devicePorts.first;
      const udp = await new UdpTransport({ address: '127.0.0.1', port }).listen();
      ua = new UserAgent({
        transports: [udp],
        clock: systemClock,
        config: { user: 'door', domain: '127.0.0.1', transport: 'udp', expires: 0, sessionExpires: 0, allowDirectCalls: true },
      });
      ua.on('incoming', (c) => c.accept(sdp(port + 10)));
      const late = await lab.sipp({ scenario: 'uac-late-ack.xml', target: `127.0.0.1:${port}`, service: 'door', durationMs: 300 });
      expect(late.code, late.errors).toBe(0);
      // 200 at 0, then T1 and 2*T1 before the ACK at 2.5 s
      expect(sippStep(late.stats, '200', true)?.retrans).toBeGreaterThanOrEqual(2);

      const uas = await lab.startSipp({ scenario: 'uas-drop-first-invite.xml' });
      await uas.ready();
      const call = ua.invite(`sip:drop@127.0.0.1:${uas.opts.port}`, { sdp: sdp(port + 12) });
      await until<string>('answer from sipp', 5000, (resolve, reject) => {
        call.on('accepted', (a) => resolve(a.sdp));
        call.on('failed', (f) => reject(new Error(f.reason)));
      });
      await call.bye();
      const r = await uas.wait(5000);
      expect(r.code, uas.describe()).toBe(0);
      expect(sippStep(r.stats, 'INVITE', true)?.retrans).toBeGreaterThanOrEqual(1);
      expect(ua.stats().retransmissions).toBeGreaterThanOrEqual(3);
    } finally {
      await ua?.close();
      await lab.stop();
    }
  }, 60_000);
});
