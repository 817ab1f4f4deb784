/**
 * The panel in a real browser: Debian's chromium (never a downloaded one) driven by playwright-core
 * against a real `portier run` from source, with a password, the embedded demo flat and simulated
 * hardware. Screenshots go to test-results/screenshots/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hashPassword } from '../../daemon/panel/password.js';
import { buildWeb } from '../../scripts/build-web.mjs';
import { repoRoot, startDaemonProcess } from '../support/run-cli.js';
import { freeTcpPort } from '../support/free-port.js';

const CHROMIUM = '/usr/bin/chromium';
// launch flags for a sandboxed CI machine without internet (shared/field-guide/browser.md)
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PASSWORD = 'door-panel-test';
const SHOTS = join(repoRoot, 'test-results', 'screenshots');


let dir = '';
let configFile = '';
let port = 0;
let base = '';
let daemon: ReturnType<typeof startDaemonProcess> | null = null;
let browser: Browser;
let context: BrowserContext;
let page: Page;

async function startDaemon(): Promise<void> {
  daemon = startDaemonProcess(['--config', configFile]);
  expect(await daemon.ready).toBe(port);
}

async function stopDaemon(): Promise<void> {
  if (!daemon) return;
  const d = daemon;
  daemon = null;
  if (d.child.exitCode === null) {
    d.child.kill('SIGTERM');
    await d.exited;
  }
}

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'portier-browser-'));
  port = await freeTcpPort();
  base = `http://127.0.0.1:${port}`;
  const hash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
  configFile = join(dir, 'portier.toml');
  // the built-in demo (simulated hardware, demo flat) plus a panel password and a fixed port
  writeFileSync(
    configFile,
    `state_dir = ${JSON.stringify(join(dir, 'state'))}
[audio]
capture = "tone:440"
playback = "null"
[panel]
listen = "127.0.0.1:${port}"
password_hash = "${hash}"
[sip]
listen = "127.0.0.1:0"
[demo]
flat = true
flat_answer_ms = 1000
[[buttons]]
id = "door"
driver = "sim"
[[relays]]
id = "door"
driver = "sim"
pulse_ms = 1500
[[inputs]]
id = "door-contact"
driver = "sim"
[[doors]]
relay = "door"
codes = ["1234"]
contact = "door-contact"
`,
  );
  await buildWeb();
  await startDaemon();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  page = await context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stopDaemon();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('panel in Chromium', { timeout: 30_000 }, () => {
  it('refuses a wrong password, then logs in and shows the registration state', async () => {
    await page.goto(base);
    await expect.poll(() => page.locator('#password').count()).toBe(1);
    await page.fill('#password', 'not the password');
    await page.click('button[type=submit]');
    await page.waitForSelector('#login-error');
    expect(await page.textContent('#login-error')).toContain('Wrong password');
    expect(await page.locator('#app').count()).toBe(0);
    await shot('01-login-refused');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('#conn.conn-live');
    await page.waitForSelector('#sip-state');
    expect((await page.textContent('#sip-state'))?.trim()).toBe('unregistered');
    expect(await page.textContent('#sip-server')).toContain('No registrar');
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await shot('02-logged-in');
  });

  it('test ring: the call goes ringing -> connected -> ended without a reload', async () => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    await page.click('#press-door');
    await page.waitForSelector('#call-state:text-is("ringing")', { timeout: 5000 });
    await shot('03-ringing');
    await page.waitForSelector('#call-state:text-is("connected")', { timeout: 8000 });
    expect(await page.textContent('#card-call')).toContain('sip:flat@');
    await page.waitForFunction(() => /^0:0[2-9]$/.test(document.querySelector('#call-duration')?.textContent ?? ''), null, { timeout: 6000 });
    await shot('04-connected');
    await page.click('#hangup');
    await page.waitForSelector('#call-state:text-is("ended")', { timeout: 5000 });
    await shot('05-ended');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  });

  it('opens the door after a confirmation and shows the relay change live', async () => {
    expect((await page.textContent('#relay-state-door'))?.trim()).toBe('off');
    await page.click('#door-open-door');
    await page.waitForSelector('#door-confirm-door');
    expect((await page.textContent('#relay-state-door'))?.trim()).toBe('off');
    await shot('06-door-confirm');
    await page.click('#door-confirm-door');
    await page.waitForSelector('#relay-state-door:text-is("on")', { timeout: 3000 });
    expect((await page.textContent('#door-state-door'))?.trim()).toBe('open');
    await shot('07-door-open');
    await page.waitForSelector('#relay-state-door:text-is("off")', { timeout: 4000 });
  });

  it('shows "disconnected" while the daemon restarts, then reconnects by itself', async () => {
    await stopDaemon();
    await page.waitForSelector('#conn.conn-down', { timeout: 5000 });
    expect(await page.textContent('#conn')).toMatch(/Disconnected/);
    // still fits a phone's width: nothing scrolls sideways
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await shot('08-disconnected');
    await startDaemon();
    await page.waitForSelector('#conn.conn-live', { timeout: 15_000 });
    await page.waitForSelector('#relay-state-door:text-is("off")');
    await shot('09-reconnected');
    // a wider screen: the cards sit side by side
    await page.setViewportSize({ width: 1280, height: 900 });
    const [a, b] = await Promise.all([page.locator('#card-sip').boundingBox(), page.locator('#card-call').boundingBox()]);
    expect(a!.y).toBe(b!.y);
    await shot('10-desktop');
    await page.setViewportSize({ width: 390, height: 844 });
  });

  it('refuses WebSockets from a foreign Origin (403) and without a session (401)', async () => {
    const cookie = (await context.cookies(base)).find((c) => c.name === 'portier_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Strict');
    const attempt = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers });
        ws.once('open', () => {
          ws.terminate();
          resolve(101);
        });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', reject);
      });
    const session = `portier_session=${cookie!.value}`;
    expect(await attempt({ Cookie: session, Origin: 'http://evil.example' })).toBe(403);
    expect(await attempt({ Origin: base })).toBe(401);
    expect(await attempt({ Cookie: session, Origin: base })).toBe(101);
    // the page's own socket, opened by the browser with its Origin and cookie, is live
    expect(await page.textContent('#conn')).toBe('Live');
  });
});
