/**
 * What test/cli/cli.test.ts does not cover of sd_notify under the installed unit: the abstract
 * socket names systemd uses ("@..."), and that the unit's WatchdogSec leaves the daemon's ping
 * interval at half the timeout (WATCHDOG_USEC is WatchdogSec in µs). No daemon process is started.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SdNotify } from '../../daemon/util/sd-notify.js';
import type { Logger } from '../../daemon/util/log.js';

const require = createRequire(import.meta.url);
const unix = require('unix-dgram') as {
  createSocket(type: 'unix_dgram', cb?: (msg: Buffer) => void): { bind(path: string): void; close(): void };
};
const warnings: unknown[] = [];
const log = { warn: (...a: unknown[]) => warnings.push(a), info() {}, error() {}, debug() {} } as unknown as Logger;

describe('sd_notify for the installed unit', () => {
  it('sends READY=1, STATUS and STOPPING=1 to an abstract socket named "@…"', async () => {
    const name = `portier-notify-${process.pid}-${Date.now()}`;
    const got: string[] = [];
    const sock = unix.createSocket('unix_dgram', (m) => got.push(m.toString()));
    sock.bind(`\0${name}`);
    try {
      const n = new SdNotify(log, { NOTIFY_SOCKET: `@${name}` });
      expect(n.enabled).toBe(true);
      n.ready('registered');
      n.status('in call');
      n.stopping();
      const end = Date.now() + 3000;
      while (got.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      expect(got).toEqual(['READY=1\nSTATUS=registered', 'STATUS=in call', 'STOPPING=1']);
      n.close();
    } finally {
      sock.close();
    }
  });

  it("pings the watchdog at half the unit's WatchdogSec, and only in the main process", () => {
    const unit = readFileSync(join(resolve(__dirname, '../..'), 'scripts/portier.service'), 'utf8');
    const sec = Number(/^WatchdogSec=(\d+)s?$/m.exec(unit)?.[1]);
    expect(sec).toBeGreaterThan(0);
    const env = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: String(sec * 1e6), WATCHDOG_PID: String(process.pid) };
    expect(new SdNotify(log, env).watchdogMs).toBe((sec * 1000) / 2);
    // a child that inherited the variables must not ping for its parent
    expect(new SdNotify(log, { ...env, WATCHDOG_PID: String(process.pid + 1) }).watchdogMs).toBe(0);
    expect(new SdNotify(log, { WATCHDOG_USEC: String(sec * 1e6) }).watchdogMs).toBe(0);
  });
});
