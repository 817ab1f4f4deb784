import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../daemon/util/clock.js';
import type { Transport } from '../../../daemon/sip/transport.js';
import { TcpTransport } from '../../../daemon/sip/transport-tcp.js';
import { TlsTransport } from '../../../daemon/sip/transport-tls.js';
import { UdpTransport } from '../../../daemon/sip/transport-udp.js';
import { UserAgent } from '../../../daemon/sip/user-agent.js';
import { baseConfig, SDP_A, SDP_B } from './harness.js';

let dir = '';
let cert = '';
let key = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portier-ua-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  key = readFileSync(join(dir, 'key.pem'), 'utf8');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function transports(): Promise<Transport[]> {
  return [
    await new UdpTransport({ address: '127.0.0.1', port: 0 }).listen(),
    await new UdpTransport({ address: '::1', port: 0 }).listen(),
    await new TcpTransport({ address: '127.0.0.1', port: 0 }).listen(),
    await new TlsTransport({ address: '127.0.0.1', port: 0, cert, key, ca: cert }).listen(),
  ];
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms))]);
}

describe('two user agents over real sockets', () => {
  it('call, answer and hang up over UDP, TCP and TLS on 127.0.0.1 and UDP on ::1', async () => {
    const tDoor = await transports();
    const tFlat = await transports();
    const cfg = { expires: 0, allowDirectCalls: true, t1: 100 };
    const door = new UserAgent({ transports: tDoor, clock: systemClock, config: baseConfig({ ...cfg }) });
    const flat = new UserAgent({ transports: tFlat, clock: systemClock, config: baseConfig({ ...cfg, user: 'flat' }) });
    const calleeEnds: string[] = [];
    flat.on('incoming', (c) => {
      c.on('ended', (e) => calleeEnds.push(`${e.by}:${e.reason}`));
      c.ring();
      c.accept(SDP_B);
    });
    const targets = [
      `sip:flat@127.0.0.1:${tFlat[0].local.port}`,
      `sip:flat@[::1]:${tFlat[1].local.port}`,
      `sip:flat@127.0.0.1:${tFlat[2].local.port};transport=tcp`,
      `sip:flat@127.0.0.1:${tFlat[3].local.port};transport=tls`,
    ];
    const seen: string[] = [];
    for (const target of targets) {
      const call = door.invite(target, { sdp: SDP_A });
      const answer = await within(
        new Promise<string>((resolve, reject) => {
          call.on('accepted', (a) => resolve(a.sdp));
          call.on('failed', (f) => reject(new Error(`${target}: ${f.reason}`)));
        }),
        3000,
        target,
      );
      expect(answer).toBe(SDP_B);
      await within(call.bye(), 3000, `BYE ${target}`);
      seen.push(target);
      expect(calleeEnds).toHaveLength(seen.length);
    }
    expect(seen).toHaveLength(4);
    expect(new Set(calleeEnds)).toEqual(new Set(['remote:remote hangup']));
    expect(door.stats().activeCalls).toBe(0);
    await Promise.all([door.close(), flat.close()]);
    await door.close();
  });
});
