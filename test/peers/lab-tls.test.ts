import { describe, test, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { startLab } from '../support/peers/lab.js';

const BASE = 11000;

function optionsOverTls(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const branch = `z9hG4bK-lab-${Date.now()}`;
      s.write(
        [
          `OPTIONS sip:127.0.0.1:${port};transport=tls SIP/2.0`,
          `Via: SIP/2.0/TLS 127.0.0.1:1;branch=${branch};rport`,
          'Max-Forwards: 70',
          `From: <sip:probe@127.0.0.1>;tag=t1`,
          `To: <sip:127.0.0.1:${port}>`,
          `Call-ID: ${branch}@lab`,
          'CSeq: 1 OPTIONS',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      );
    });
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer over TLS; got: ${got}`));
    }, 3000);
    s.on('data', (d) => {
      got += d.toString();
      if (got.includes('\r\n\r\n')) {
        clearTimeout(timer);
        s.end();
        resolve(got);
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

describe('peer lab over TLS', () => {
  test('kamailio answers OPTIONS over TLS with a certificate that verifies against the lab CA, and a TLS phone takes a call', async () => {
    const lab = await startLab({ basePort: BASE, users: { '100': 'pw100', '200': 'pw200' }, tls: true });
    try {
      expect(lab.tls?.port).toBe(BASE + 1);
      const answer = await optionsOverTls(lab.tls!.port, readFileSync(lab.tls!.certPath, 'utf8'));
      expect(answer.startsWith('SIP/2.0 200')).toBe(true);

      const t = await lab.phone({ user: '200', transport: 'tls', codecs: ['pcmu'] });
      const u = await lab.phone({ user: '100', codecs: ['pcmu'] });
      await Promise.all([t.waitRegistered(), u.waitRegistered()]);
      expect((await lab.kamailio.contacts('200')).join(' ')).toMatch(/transport=tls/i);
      await u.dial(lab.uri('200'));
      await t.waitEvent('CALL_ESTABLISHED', 5000);
      await u.waitEvent('CALL_ESTABLISHED', 5000);
      expect(lab.kamailio.trace('LAB-REQ').some((l) => l.includes('REGISTER') && l.includes('/tls'))).toBe(true);
      await u.hangup();
      await t.waitEvent('CALL_CLOSED', 5000);
    } finally {
      await lab.stop();
    }
  });
});
