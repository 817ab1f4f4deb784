import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startDaemonProcess } from '../support/run-cli.js';

const require = createRequire(import.meta.url);
const unix = require('unix-dgram') as {
  createSocket(type: 'unix_dgram', cb?: (msg: Buffer) => void): { bind(path: string): void; close(): void };
};

const dir = mkdtempSync(join(tmpdir(), 'portier-cli-'));
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

describe('portier check-config', () => {
  it('lists all three mistakes, one a line, and exits 2', async () => {
    const file = join(dir, 'bad.toml');
    writeFileSync(file, '[sip]\nregistrer = "sip:10.0.0.1"\n[media]\nrtp_ports = "20000"\n[[relays]]\nid = "door"\npulse_ms = -5\n');
    const r = await runCli(['check-config', file]);
    expect(r.code).toBe(2);
    expect(r.stdout.trim().split('\n')).toEqual([
      'sip.registrer: unknown key',
      'media.rtp_ports: "20000" is not a port range like "20000-20100"',
      'relays[0].pulse_ms: Too small: expected number to be >=50',
    ]);
  });

  it('prints a summary and exits 0 for a valid file', async () => {
    const file = join(dir, 'good.toml');
    writeFileSync(file, '[sip]\nregistrar = "sip:192.0.2.10:5060"\nuser = "620"\n');
    const r = await runCli(['check-config', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/registrar: sip:192\.0\.2\.10:5060 as 620 over udp/);
  });

  it('says so when the file does not exist', async () => {
    const r = await runCli(['check-config', join(dir, 'missing.toml')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/cannot read config: file not found/);
  });

  it('--version and --help', async () => {
    expect((await runCli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/portier run \[--config FILE\]/);
  });
});

describe('portier run', () => {
  it('notifies systemd READY=1 and WATCHDOG=1, serves the API, and exits 0 on SIGTERM', async () => {
    const sockPath = join(dir, 'notify.sock');
    const got: string[] = [];
    const sock = unix.createSocket('unix_dgram', (msg) => got.push(msg.toString()));
    sock.bind(sockPath);
    cleanups.push(() => sock.close());
    const cfg = join(dir, 'run.toml');
    writeFileSync(cfg, `state_dir = "${join(dir, 'state')}"\n[panel]\nlisten = "127.0.0.1:0"\ntoken = "0123456789abcdef0123"\n[[relays]]\nid = "door"\n`);
    const d = startDaemonProcess(['--config', cfg], { NOTIFY_SOCKET: sockPath, WATCHDOG_USEC: '200000' });
    cleanups.push(() => d.child.kill('SIGKILL'));
    const port = await d.ready;
    const health = await fetch(`http://127.0.0.1:${port}/api/health`);
    expect(await health.json()).toMatchObject({ ok: true });
    const pulse = await fetch(`http://127.0.0.1:${port}/api/relays/door/pulse`, {
      method: 'POST',
      headers: { Authorization: 'Bearer 0123456789abcdef0123' },
      body: '{"ms": 2000}',
    });
    expect(pulse.status).toBe(200);
    const status = await (await fetch(`http://127.0.0.1:${port}/api/status`, { headers: { Authorization: 'Bearer 0123456789abcdef0123' } })).json();
    expect(status.relays.door.state).toBe('on');
    // garbage does not stop it
    const bad = await fetch(`http://127.0.0.1:${port}/api/relays/door/pulse`, { method: 'POST', headers: { Authorization: 'Bearer 0123456789abcdef0123' }, body: '{{{' });
    expect(bad.status).toBe(400);
    await new Promise((r) => setTimeout(r, 350));
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(got[0]).toMatch(/^READY=1\nSTATUS=/);
    expect(got.filter((m) => m === 'WATCHDOG=1').length).toBeGreaterThanOrEqual(2);
    expect(got.at(-1)).toBe('STOPPING=1');
    expect(d.lines.some((l) => l.includes('"relay changed"') && l.includes('"off"'))).toBe(true);
  });

  it('refuses an invalid config with exit 2 and names the problem', async () => {
    const cfg = join(dir, 'bad-run.toml');
    writeFileSync(cfg, '[audio]\ncapture = "mic"\n');
    const r = await runCli(['run', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/audio\.capture: unknown capture driver "mic"/);
  });
});

describe('diagnostic subcommands', () => {
  it('sip-check accepts well-formed captures and rejects broken ones with a reason, exit 1', async () => {
    const r = await runCli(['sip-check', 'test/fixtures/rfc4475/wsinv.dat', 'test/fixtures/rfc4475/badinv01.dat']);
    expect(r.code).toBe(1);
    const [ok, bad] = r.stdout.trim().split('\n');
    expect(ok).toBe('test/fixtures/rfc4475/wsinv.dat: accept');
    expect(bad).toMatch(/^test\/fixtures\/rfc4475\/badinv01\.dat: reject: \S/);
    const all = await runCli(['sip-check', 'test/fixtures/rfc4475/wsinv.dat']);
    expect(all.code).toBe(0);
  });

  it('bench-jitter prints one JSON object per trace and writes the playout with --playout', async () => {
    const out = join(dir, 'playout');
    const r = await runCli(['bench-jitter', '--playout', out, 'test/fixtures/jitter/lan_low.csv']);
    expect(r.code).toBe(0);
    const line = JSON.parse(r.stdout.trim());
    expect(Object.keys(line)).toEqual(['trace', 'frames', 'meanAddedMs', 'p95AddedMs', 'lateLossPct', 'concealPct', 'oracleMs', 'expandFrames', 'accelerateFrames']);
    expect(line.trace).toBe('lan_low');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(out, 'lan_low.csv'), 'utf8').split('\n')[0]).toBe('seq,play_ms');
    const missing = await runCli(['bench-jitter', 'nope.csv']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.csv/);
  });
});
