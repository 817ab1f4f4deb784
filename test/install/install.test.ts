/**
 * scripts/install.sh and scripts/uninstall.sh as far as a CI machine without systemd as PID 1 can
 * take them: syntax (bash -n, and shellcheck when it is installed), the dry-run plans with the
 * paths moved into a temp dir, the Node version gate, and `systemd-analyze verify` of the unit.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const INSTALL = join(ROOT, 'scripts/install.sh');
const UNINSTALL = join(ROOT, 'scripts/uninstall.sh');
const UNIT = join(ROOT, 'scripts/portier.service');

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'portier-install-'));
  const env = {
    ...process.env,
    PORTIER_PREFIX: join(dir, 'opt/portier'),
    PORTIER_ETC_DIR: join(dir, 'etc/portier'),
    PORTIER_UNIT_DIR: join(dir, 'systemd'),
    PORTIER_STATE_DIR: join(dir, 'state'),
  };
  return { dir, env };
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync('bash', [script, ...args], { env, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The plan lines ("would …") in order. */
const plan = (out: string) => out.split('\n').filter((l) => l.startsWith('would '));

describe('install and uninstall scripts', () => {
  it('parse with bash -n, and are shellcheck-clean when shellcheck is installed', () => {
    for (const s of [INSTALL, UNINSTALL]) {
      const r = spawnSync('bash', ['-n', s], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
    if (has('shellcheck')) {
      const r = spawnSync('shellcheck', ['-s', 'bash', INSTALL, UNINSTALL], { encoding: 'utf8' });
      expect(r.status, r.stdout).toBe(0);
    }
  });

  it('install --dry-run prints the whole plan in order and changes nothing', () => {
    const { dir, env } = sandbox();
    const r = run(INSTALL, ['--dry-run', '--no-apt'], env);
    expect(r.code, r.err).toBe(0);
    const steps = plan(r.out);
    const idx = (re: RegExp) => steps.findIndex((l) => re.test(l));
    const order = [
      /useradd --system --user-group .* portier$|^would run: usermod/,
      /usermod -a -G gpio,audio portier/,
      /would copy: .* -> .*opt\/portier \(without \.git, node_modules, test, dist\)/,
      /npm --prefix .*opt\/portier ci/,
      /npm --prefix .*opt\/portier run build/,
      /npm --prefix .*opt\/portier prune --omit=dev/,
      /install -m 0640 -o root -g portier .*config\/portier\.example\.toml .*etc\/portier\/portier\.toml/,
      /would install: .*systemd\/portier\.service \(ExecStart with \/.*node\)/,
      /systemctl daemon-reload/,
      /systemctl enable --now portier\.service/,
    ].map(idx);
    expect(order.every((i) => i >= 0), steps.join('\n')).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(r.out).toMatch(/Node\.js v\d+/);
    expect(readdirSync(dir)).toEqual([]); // nothing created
  });

  it('install keeps an existing config and --no-start only enables', () => {
    const { env } = sandbox();
    mkdirSync(env.PORTIER_ETC_DIR, { recursive: true });
    writeFileSync(join(env.PORTIER_ETC_DIR, 'portier.toml'), '# mine\n');
    const r = run(INSTALL, ['--dry-run', '--no-apt', '--no-start'], env);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/keeping existing .*etc\/portier\/portier\.toml/);
    expect(plan(r.out).some((l) => /portier\.example\.toml/.test(l))).toBe(false);
    expect(plan(r.out)).toContain('would run: systemctl enable portier.service');
    expect(readFileSync(join(env.PORTIER_ETC_DIR, 'portier.toml'), 'utf8')).toBe('# mine\n');
  });

  it('install refuses a Node older than 20 and says where to get a newer one', () => {
    const { dir, env } = sandbox();
    const fake = join(dir, 'node18');
    writeFileSync(fake, '#!/bin/sh\necho v18.19.0\n');
    chmodSync(fake, 0o755);
    const r = run(INSTALL, ['--dry-run', '--no-apt'], { ...env, PORTIER_NODE: fake });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/needs Node\.js 20 or newer \(found: v18\.19\.0\)/);
    expect(r.err).toMatch(/NodeSource/);
    expect(plan(r.out)).toEqual([]);
  });

  it('install rejects unknown options with exit 2', () => {
    expect(run(INSTALL, ['--bogus'], sandbox().env).code).toBe(2);
    expect(run(UNINSTALL, ['--bogus'], sandbox().env).code).toBe(2);
  });

  it('uninstall keeps config, state and user unless --purge', () => {
    const { env } = sandbox();
    const keep = run(UNINSTALL, ['--dry-run'], env);
    expect(keep.code, keep.err).toBe(0);
    expect(plan(keep.out)).toEqual([
      'would run: systemctl disable --now portier.service',
      `would run: rm -f ${env.PORTIER_UNIT_DIR}/portier.service`,
      'would run: systemctl daemon-reload',
      `would run: rm -rf ${env.PORTIER_PREFIX}`,
    ]);
    expect(keep.out).toMatch(/kept .*etc\/portier \(config\)/);
    const purge = run(UNINSTALL, ['--dry-run', '--purge'], env);
    expect(purge.code, purge.err).toBe(0);
    expect(plan(purge.out)).toContain(`would run: rm -rf ${env.PORTIER_ETC_DIR} ${env.PORTIER_STATE_DIR}`);
    expect(plan(purge.out)).toContain('would run: userdel portier');
  });
});

describe('systemd unit', () => {
  // systemd-analyze ships with the systemd package on Debian; the CI image has it even without systemd as PID 1
  const verify = (path: string) => spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8', timeout: 20_000 });

  it('scripts/portier.service passes systemd-analyze verify, and a broken copy does not', () => {
    expect(has('systemd-analyze')).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'portier-unit-'));
    const good = join(dir, 'portier.service');
    copyFileSync(UNIT, good);
    const r = verify(good);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes('portier.service'))).toEqual([]);
    // the check can fail: an unknown Type= is reported
    const bad = join(dir, 'broken', 'portier.service');
    mkdirSync(join(dir, 'broken'));
    writeFileSync(bad, readFileSync(UNIT, 'utf8').replace('Type=notify', 'Type=bogus'));
    const b = verify(bad);
    expect(b.stderr).toMatch(/Type|bogus/);
  });

  it('declares readiness and a watchdog the daemon can serve (Type=notify, WatchdogSec, restart on failure)', () => {
    const unit = readFileSync(UNIT, 'utf8');
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^WatchdogSec=\d+/m);
    expect(unit).toMatch(/^Restart=on-(failure|watchdog|abnormal)$/m);
    expect(unit).toMatch(/^SupplementaryGroups=.*\bgpio\b.*\baudio\b|^SupplementaryGroups=.*\baudio\b.*\bgpio\b/m);
    expect(existsSync(join(ROOT, 'config/portier.example.toml'))).toBe(true);
  });
});
