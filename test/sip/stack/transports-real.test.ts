import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transport, TransportMessage } from '../../../daemon/sip/transport.js';
import { UdpTransport } from '../../../daemon/sip/transport-udp.js';
import { SimpleStreamFramer, TcpTransport } from '../../../daemon/sip/transport-tcp.js';
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

describe('stream framer', () => {
  it('splits messages by Content-Length across chunk boundaries and reports CRLFCRLF pings', () => {
    const f = new SimpleStreamFramer(1000);
    const whole = enc(`\r\n\r\n${msg('hello')}${msg('')}`);
    const a = f.push(whole.subarray(0, 30));
    const b = f.push(whole.subarray(30));
    expect(a).toEqual(['ping']);
    expect(b.map((x) => (x === 'ping' ? x : new TextDecoder().decode(x)))).toEqual([msg('hello'), msg('')]);
  });

  it('throws on a message larger than the bound', () => {
    const f = new SimpleStreamFramer(50);
    expect(() => f.push(enc(msg('x'.repeat(100))))).toThrow(RangeError);
  });
});

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

  it('TLS refuses a server whose certificate is not trusted', async () => {
    const a = await new TlsTransport({ address: '127.0.0.1', port: 0, cert, key }).listen();
    const b = await new TlsTransport({ address: '127.0.0.1', port: 0, cert, key }).listen();
    await expect(a.send(b.local, enc(msg('x')))).rejects.toThrow(/cannot connect tls/);
    await a.close();
    await b.close();
  });
});
