import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transport, TransportMessage } from '../../../daemon/sip/transport.js';
import { UdpTransport } from '../../../daemon/sip/transport-udp.js';
import { TcpTransport } from '../../../daemon/sip/transport-tcp.js';
import { TlsTransport } from '../../../daemon/sip/transport-tls.js';

const enc = (s: string) => new TextEncoder().encode(s);
const msg = (body: string) => `OPTIONS sip:a@b SIP/2.0\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

function nextMessage(t: Transport): Promise<TransportMessage> {
  return new Promise((resolve) => t.onMessage(resolve));
}

let dir = '';
let cert = '';
let key = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portier-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  key = readFileSync(join(dir, 'key.pem'), 'utf8');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('real sockets', () => {
  it('UDP on 127.0.0.1 and ::1 delivers a datagram with its source', async () => {
    for (const address of ['127.0.0.1', '::1']) {
      const a = await new UdpTransport({ address, port: 0 }).listen();
      const b = await new UdpTransport({ address, port: 0 }).listen();
      const got = nextMessage(b);
      await a.send(b.local, enc(msg('x')));
      const m = await got;
      expect(m.source).toEqual({ transport: 'udp', address, port: a.local.port });
      await a.close();
      await b.close();
    }
  });

  it('never advertises a wildcard: a socket bound to 0.0.0.0 reports a real address', async () => {
    const u = await new UdpTransport({ address: '0.0.0.0', port: 0 }).listen();
    const t = await new TcpTransport({ address: '0.0.0.0', port: 0 }).listen();
    expect(u.local.address).not.toBe('0.0.0.0');
    expect(t.local.address).toBe(u.local.address);
    expect(u.local.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const v = await new UdpTransport({ address: '0.0.0.0', port: 0, advertisedAddress: '192.0.2.7' }).listen();
    expect(v.local.address).toBe('192.0.2.7');
    await Promise.all([u.close(), t.close(), v.close()]);
  });

  it('TCP reuses one connection both ways and frames messages', async () => {
    const a = await new TcpTransport({ address: '127.0.0.1', port: 0 }).listen();
    const b = await new TcpTransport({ address: '127.0.0.1', port: 0 }).listen();
    const got = nextMessage(b);
    await a.send(b.local, enc(msg('ping')));
    const m = await got;
    expect(new TextDecoder().decode(m.data)).toBe(msg('ping'));
    const back = nextMessage(a);
    await b.send(m.source, enc(msg('pong')));
    expect(new TextDecoder().decode((await back).data)).toBe(msg('pong'));
    expect(a.connectionCount).toBe(1);
    expect(b.connectionCount).toBe(1);
    // RFC 5626: a CRLFCRLF ping on the connection is answered with a CRLF pong, not delivered
    const raw = await import('node:net');
    const pong = await new Promise<string>((resolve) => {
      const s = raw.connect(b.local.port, '127.0.0.1', () => s.write('\r\n\r\n'));
      s.on('data', (d) => {
        resolve(d.toString());
        s.destroy();
      });
    });
    expect(pong).toBe('\r\n');
    await a.close();
    await b.close();
    await a.close();
  });

  it('TLS with a self-signed certificate carries a message and its answer', async () => {
    const a = await new TlsTransport({ address: '127.0.0.1', port: 0, cert, key, ca: cert }).listen();
    const b = await new TlsTransport({ address: '127.0.0.1', port: 0, cert, key, ca: cert }).listen();
    const got = nextMessage(b);
    await a.send(b.local, enc(msg('secret')));
    const m = await got;
    expect(new TextDecoder().decode(m.data)).toBe(msg('secret'));
    const back = nextMessage(a);
    await b.send(m.source, enc(msg('ok')));
    expect(new TextDecoder().decode((await back).data)).toBe(msg('ok'));
    await a.close();
    await b.close();
  });

  it('closes a TCP connection that sends an oversized message', async () => {
    const b = await new TcpTransport({ address: '127.0.0.1', port: 0, maxMessageSize: 200 }).listen();
    const errors: string[] = [];
    b.onError((e) => errors.push(e.message));
    const raw = await import('node:net');
    const closed = await new Promise<boolean>((resolve) => {
      const s = raw.connect(b.local.port, '127.0.0.1', () => s.write(msg('x'.repeat(1000))));
      s.on('close', () => resolve(true));
      s.on('error', () => undefined);
    });
    expect(closed).toBe(true);
    expect(errors.join()).toMatch(/closing tcp connection/);
    await b.close();
  });

  it('closes incoming TCP connections beyond maxConnections', async () => {
    const b = await new TcpTransport({ address: '127.0.0.1', port: 0, maxConnections: 2 }).listen();
    const raw = await import('node:net');
    const open = () =>
      new Promise<{ s: import('node:net').Socket; closedEarly: Promise<boolean> }>((resolve) => {
        const s = raw.connect(b.local.port, '127.0.0.1', () =>
          resolve({ s, closedEarly: new Promise((r) => { s.on('close', () => r(true)); setTimeout(() => r(false), 300); }) }),
        );
        s.on('error', () => undefined);
      });
    const c1 = await open();
    const c2 = await open();
    await new Promise((r) => setTimeout(r, 50));
    const c3 = await open();
    expect(await c3.closedEarly).toBe(true);
    expect(await c1.closedEarly).toBe(false);
    c1.s.destroy();
    c2.s.destroy();
    await b.close();
  });

  it('TLS refuses a server whose certificate is not trusted', async () => {
    const a = await new TlsTransport({ address: '127.0.0.1', port: 0, cert, key }).listen();
    const b = await new TlsTransport({ address: '127.0.0.1', port: 0, cert, key }).listen();
    await expect(a.send(b.local, enc(msg('x')))).rejects.toThrow(/cannot connect tls/);
    await a.close();
    await b.close();
  });
});
