import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_TOML } from '../../config/demo.js';
import { waitFor } from '../support/daemon.js';
import { repoRoot } from '../support/run-cli.js';

describe('the --pretty log tells a person what happened', () => {
  it('a call in the demo reads as ring, answer, wrong code, door opened by code, call ended with reason and duration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-pretty-'));
    const file = join(dir, 'demo.toml');
    writeFileSync(file, `state_dir = "${dir}"\n` + DEMO_TOML.replace('127.0.0.1:8080"', '127.0.0.1:0"\ntoken = "pretty-test-token-0123456789"').replace('[demo]\nflat = true', '[demo]\nflat = true\nflat_answer_ms = 200'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'daemon/cli.ts', 'run', '--pretty', '--config', file], { cwd: repoRoot, env: { ...process.env, HOME: dir } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      const port = await waitFor('listening', () => /panel and API listening .*"listen":"127\.0\.0\.1:(\d+)"/.exec(out)?.[1], 15000);
      const token = 'pretty-test-token-0123456789';
      const api = (path: string, body?: string) =>
        fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body });
      expect((await api('/api/buttons/door/press')).status).toBe(200);
      await waitFor('answered', () => out.includes(' answered (g722)'), 10000);
      expect((await api('/api/demo/flat/dtmf', '{"digits":"9999#"}')).status).toBe(200);
      await waitFor('wrong code', () => out.includes('Wrong door code (1 failure in a row)'), 10000);
      expect((await api('/api/demo/flat/dtmf', '{"digits":"1234#"}')).status).toBe(200);
      await waitFor('door opened', () => out.includes('Door opened by code'), 10000);
      expect((await api('/api/calls/hangup')).status).toBe(200);
      await waitFor('ended', () => /Call ended after \d+ s by the door: hung up through the API/.test(out), 10000);
      expect(out).toMatch(/INFO: Rang the flat \(1 phone and the panel, parallel\)/);
      // one line per event: the details follow on the same line, not as a block of indented lines
      expect(out).toMatch(/INFO: Door opened by code \{.*"by":"code"/);
      expect(out).not.toMatch(/DTMF digit/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    }
  });
});
