import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfigText, formatIssues, type ResolvedConfig } from '../../config/load.js';
import { startDaemon, type Daemon } from '../../daemon/main.js';

export const TEST_TOKEN = 'test-token-0123456789abcdef';

/** Starts a daemon in this process from TOML (state_dir and panel/SIP ports filled in). */
export async function startTestDaemon(toml: string): Promise<{ daemon: Daemon; config: ResolvedConfig; api: (path: string, init?: RequestInit) => Promise<Response>; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'portier-daemon-'));
  const r = loadConfigText(`state_dir = "${dir}"\n${toml}`, { env: {} });
  if (!r.ok) throw new Error(formatIssues(r.issues));
  const config = r.config;
  config.panel.token ??= TEST_TOKEN;
  const daemon = await startDaemon({ config, log: pino({ level: process.env.PORTIER_TEST_LOG ?? 'silent' }) });
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${daemon.httpPort}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${config.panel.token}`, ...(init.headers as Record<string, string>) },
    });
  return { daemon, config, api, dir };
}

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 10000, everyMs = 50): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
