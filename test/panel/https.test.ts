import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../config/load.js';
import { startTestDaemon } from '../support/daemon.js';

/** A self-signed certificate for 127.0.0.1, as the installer makes one for the device. */
function selfSigned(dir: string) {
  const cert = join(dir, 'panel.crt');
  const key = join(dir, 'panel.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=portier-test',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

function get(port: number, path: string, ca: Buffer, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the panel over HTTPS (panel.tls_cert / panel.tls_key)', () => {
  it('serves the API and the page over TLS with the configured certificate, and nothing over plain HTTP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-tls-'));
    const { cert, key } = selfSigned(dir);
    const { daemon } = await startTestDaemon(`[panel]\nlisten = "127.0.0.1:0"\nlogin_link = true\ntls_cert = "${cert}"\ntls_key = "${key}"\n`);
    try {
      const ca = readFileSync(cert);
      const health = await get(daemon.httpPort, '/api/health', ca);
      expect(health.status).toBe(200);
      expect(JSON.parse(health.body)).toMatchObject({ ok: true });
      // plain http to the TLS port gets no answer from the API
      await expect(fetch(`http://127.0.0.1:${daemon.httpPort}/api/health`)).rejects.toThrow();
      const page = await get(daemon.httpPort, '/', ca);
      expect(page.body).toContain('Open the login link');
      const wrong = await get(daemon.httpPort, '/login?once=nope', ca);
      expect(wrong.status).toBe(403);
    } finally {
      await daemon.close();
    }
  });

  it('a missing key file is an error that names panel.tls_key; one of the pair alone is a config error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-tls-'));
    const { cert } = selfSigned(dir);
    await expect(startTestDaemon(`[panel]\nlisten = "127.0.0.1:0"\ntls_cert = "${cert}"\ntls_key = "${join(dir, 'missing.key')}"\n`)).rejects.toThrow(
      /panel\.tls_key: cannot read .*missing\.key: file not found/,
    );
    const r = loadConfigText(`[panel]\ntls_cert = "${cert}"\n`, { env: {} });
    expect(!r.ok && r.issues.map((i) => `${i.path}: ${i.message}`)).toEqual(['panel.tls_key: HTTPS needs both panel.tls_cert and panel.tls_key (or neither, for plain HTTP)']);
  });
});
