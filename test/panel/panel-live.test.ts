/**
 * The panel over a real HTTP server on 127.0.0.1 with a StatusHub fed by the test: login, the
 * WebSocket's snapshot and deltas, refusals at the upgrade, logout closing sockets, SSE.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfigText } from '../../config/load.js';
import type { ApiController } from '../../daemon/panel/api.js';
import { createPanel, type Panel } from '../../daemon/panel/index.js';
import { hashPassword } from '../../daemon/panel/password.js';
import { startHttpServer, type HttpServer } from '../../daemon/panel/server.js';
import { StatusHub } from '../../daemon/util/status-hub.js';
import { createLogger } from '../../daemon/util/log.js';

const TOKEN = 'panel-test-token-0123456789';
const PASSWORD = 'open sesame';
let HASH = '';
beforeAll(async () => {
  HASH = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(opts: { password?: boolean; webDirs?: string[]; heartbeatMs?: number; maxAgeMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'portier-panel-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const toml = `state_dir = ${JSON.stringify(dir)}\n[panel]\nlisten = "127.0.0.1:0"\ntoken = "${TOKEN}"\n${opts.password === false ? '' : `password_hash = "${HASH}"\n`}`;
  const loaded = loadConfigText(toml, { source: 'test' });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  const hub = new StatusHub();
  hub.set('sip', { registration: 'registered', registrar: 'sip:pbx.home' });
  hub.set('relays', { door: { state: 'off', driver: 'sim' } });
  const pulses: string[] = [];
  const controller: ApiController = {
    health: () => ({ ok: true, version: 't' }),
    status: () => hub.snapshot(),
    pressButton: () => {},
    pulseRelay: (id, ms) => {
      pulses.push(id);
      return { ms: ms ?? 1000 };
    },
  };
  const panel: Panel = createPanel({
    controller,
    hub,
    config: loaded.config,
    log: createLogger({ level: 'silent' }),
    limiter: { freeFailures: 2, baseDelayMs: 60_000 },
    webDirs: opts.webDirs ?? [join(dir, 'no-web')],
    heartbeatMs: opts.heartbeatMs,
    sessions: opts.maxAgeMs ? { maxAgeMs: opts.maxAgeMs } : undefined,
  });
  const http: HttpServer = await startHttpServer(panel.app, '127.0.0.1', 0);
  panel.attach(http.server);
  cleanups.push(async () => {
    await panel.close();
    await http.close();
  });
  const base = `http://127.0.0.1:${http.port}`;
  return { hub, panel, http, base, pulses, dir };
}

async function login(base: string, password = PASSWORD, headers: Record<string, string> = {}) {
  return fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: base, ...headers },
    body: new URLSearchParams({ password }).toString(),
  });
}

async function sessionCookie(base: string): Promise<string> {
  const res = await login(base);
  expect(res.status).toBe(303);
  return res.headers.get('set-cookie')!.split(';')[0];
}

type Opened = { ws: WebSocket; messages: Record<string, unknown>[]; next: () => Promise<Record<string, unknown>> };

function openWs(base: string, headers: Record<string, string>): Promise<Opened | { status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`, { headers });
    const messages: Record<string, unknown>[] = [];
    const waiters: ((m: Record<string, unknown>) => void)[] = [];
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as Record<string, unknown>;
      const w = waiters.shift();
      if (w) w(m);
      else messages.push(m);
    });
    const next = () =>
      new Promise<Record<string, unknown>>((res) => {
        const m = messages.shift();
        if (m) res(m);
        else waiters.push(res);
      });
    ws.once('open', () => {
      cleanups.push(() => ws.terminate());
      resolve({ ws, messages, next });
    });
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('error', (e) => reject(e));
  });
}

describe('panel login', () => {
  it('shows only the login page to a visitor without a session, and keeps the script from them', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('action="/login"');
    expect(html).not.toContain('app.js');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${base}/api/status`)).status).toBe(401);
  });

  it('sets an HttpOnly SameSite=Strict session cookie on the right password; the page then loads the app', async () => {
    const { base } = await start();
    const res = await login(base);
    expect(res.status).toBe(303);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^portier_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const cookie = setCookie.split(';')[0];
    const page = await (await fetch(`${base}/`, { headers: { Cookie: cookie } })).text();
    expect(page).toContain('/assets/app.js');
    expect(page).toContain('web assets are not built');
    const session = await fetch(`${base}/api/session`, { headers: { Cookie: cookie } });
    expect(await session.json()).toMatchObject({ ok: true, via: 'session' });
  });

  it('refuses a wrong password with 401, then rate-limits the address with 429 and Retry-After', async () => {
    const { base } = await start();
    const r1 = await login(base, 'wrong');
    expect(r1.status).toBe(401);
    expect(r1.headers.get('set-cookie')).toBeNull();
    expect(await r1.text()).toContain('Wrong password');
    expect((await login(base, 'wrong')).status).toBe(401);
    const r3 = await login(base, 'wrong');
    expect(r3.status).toBe(429);
    expect(Number(r3.headers.get('retry-after'))).toBe(60);
    // blocked: even the right password is not checked now
    const r4 = await login(base);
    expect(r4.status).toBe(429);
    expect(r4.headers.get('set-cookie')).toBeNull();
  });

  it('refuses an oversized login body (413) without checking it', async () => {
    const { base } = await start();
    const res = await login(base, 'x'.repeat(10_000));
    expect(res.status).toBe(413);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('refuses a login form posted from another site (403)', async () => {
    const { base } = await start();
    const res = await login(base, PASSWORD, { Origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('without a password hash explains `portier hash-password` and has no form', async () => {
    const { base } = await start({ password: false });
    const html = await (await fetch(`${base}/`)).text();
    expect(html).toContain('portier hash-password');
    expect(html).not.toContain('<form method="post" action="/login"');
    expect((await login(base, 'anything')).status).toBe(403);
  });
});

describe('panel WebSocket /ws', () => {
  it('sends the snapshot on connect, then each delta and event', async () => {
    const { base, hub } = await start();
    const cookie = await sessionCookie(base);
    const c = (await openWs(base, { Cookie: cookie, Origin: base })) as Opened;
    const snap = await c.next();
    expect(snap).toMatchObject({ type: 'snapshot', status: { sip: { registration: 'registered' }, relays: { door: { state: 'off' } } } });
    hub.set('relays', { door: { state: 'on', driver: 'sim' } });
    expect(await c.next()).toEqual({ type: 'delta', section: 'relays', value: { door: { state: 'on', driver: 'sim' } } });
    hub.emit('event', { time: '2026-01-01T00:00:00Z', type: 'door_open', relay: 'door' });
    expect(await c.next()).toMatchObject({ type: 'event', event: { type: 'door_open' } });
    // a later client's snapshot carries the recent event
    const d = (await openWs(base, { Cookie: cookie, Origin: base })) as Opened;
    expect(await d.next()).toMatchObject({ type: 'snapshot', events: [{ type: 'door_open' }], status: { relays: { door: { state: 'on' } } } });
  });

  it('delivers every message once and in order to many clients (sent in slices across event-loop turns)', async () => {
    const { base, hub, panel } = await start();
    const clients = await Promise.all(Array.from({ length: 60 }, () => openWs(base, { Authorization: `Bearer ${TOKEN}` }) as Promise<Opened>));
    for (const c of clients) expect((await c.next()).type).toBe('snapshot');
    for (let i = 0; i < 3; i++) hub.emit('event', { time: `t${i}`, type: `e${i}` });
    hub.set('relays', { door: { state: 'on', driver: 'sim' } });
    for (const c of clients) {
      const got = [await c.next(), await c.next(), await c.next(), await c.next()];
      expect(got.map((m) => (m.type === 'event' ? (m.event as { type: string }).type : m.section))).toEqual(['e0', 'e1', 'e2', 'relays']);
    }
    const stats = panel.stats();
    expect(stats.ws_clients).toBe(60);
    expect(stats.broadcast.messages).toBe(4);
    // 60 clients x 4 messages at 25 sends a slice
    expect(stats.broadcast.slices).toBeGreaterThanOrEqual(10);
    await new Promise((r) => setTimeout(r, 50));
    expect(clients.every((c) => c.messages.length === 0)).toBe(true);
  });

  it('measures event-loop lag only after a reset asks for it (an idle door has no 100 Hz monitor)', async () => {
    const { panel } = await start();
    await new Promise((r) => setTimeout(r, 60));
    expect(panel.stats().event_loop).toMatchObject({ monitoring: false, samples: 0 });
    panel.stats(true); // what a benchmark calls before its window
    expect(panel.stats().event_loop.monitoring).toBe(true);
    await expect.poll(() => panel.stats().event_loop.samples, { timeout: 2000 }).toBeGreaterThan(2);
    await panel.close();
    expect(panel.stats().event_loop.monitoring).toBe(false);
  });

  it('refuses a foreign Origin with 403 and a missing session with 401 at the upgrade', async () => {
    const { base, panel } = await start();
    const cookie = await sessionCookie(base);
    expect(await openWs(base, { Cookie: cookie, Origin: 'http://evil.example' })).toEqual({ status: 403 });
    expect(await openWs(base, { Origin: base })).toEqual({ status: 401 });
    expect(await openWs(base, { Cookie: 'portier_session=forged', Origin: base })).toEqual({ status: 401 });
    expect(panel.stats().ws_clients).toBe(0);
  });

  it('accepts the API bearer token (scripts, no Origin)', async () => {
    const { base } = await start();
    const c = (await openWs(base, { Authorization: `Bearer ${TOKEN}` })) as Opened;
    expect((await c.next()).type).toBe('snapshot');
  });

  it('logout closes that session\'s sockets with 4401 and the cookie stops working', async () => {
    const { base } = await start();
    const cookie = await sessionCookie(base);
    const c = (await openWs(base, { Cookie: cookie, Origin: base })) as Opened;
    await c.next();
    const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
    const out = await fetch(`${base}/logout`, { method: 'POST', redirect: 'manual', headers: { Cookie: cookie, Origin: base } });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    expect(await closed).toBe(4401);
    expect((await fetch(`${base}/api/status`, { headers: { Cookie: cookie } })).status).toBe(401);
  });

  it('closes a socket with 4401 at the next heartbeat once its session has expired', async () => {
    const { base } = await start({ heartbeatMs: 50, maxAgeMs: 300 });
    const cookie = await sessionCookie(base);
    const c = (await openWs(base, { Cookie: cookie, Origin: base })) as Opened;
    await c.next();
    const code = await new Promise<number>((r) => c.ws.once('close', (k) => r(k)));
    expect(code).toBe(4401);
    expect((await fetch(`${base}/api/session`, { headers: { Cookie: cookie } })).status).toBe(401);
  });

  it('closes every client when the panel closes', async () => {
    const { base, panel } = await start();
    const c = (await openWs(base, { Authorization: `Bearer ${TOKEN}` })) as Opened;
    await c.next();
    const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
    await panel.close();
    expect(await closed).toBe(1001);
    await panel.close();
  });
});

describe('panel Server-Sent Events /api/events/stream', () => {
  it('streams the snapshot and then deltas as SSE, behind auth', async () => {
    const { base, hub, panel } = await start();
    expect((await fetch(`${base}/api/events/stream`)).status).toBe(401);
    const ac = new AbortController();
    cleanups.push(() => ac.abort());
    const res = await fetch(`${base}/api/events/stream`, { headers: { Authorization: `Bearer ${TOKEN}` }, signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const until = async (re: RegExp) => {
      while (!re.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended: ${text}`);
        text += new TextDecoder().decode(value);
      }
    };
    await until(/event: snapshot\ndata: \{"type":"snapshot"/);
    expect(panel.stats().sse_clients).toBe(1);
    hub.set('sip', { registration: 'failed', registrar: 'sip:pbx.home' });
    await until(/event: delta\ndata: \{"type":"delta","section":"sip","value":\{"registration":"failed"/);
    ac.abort();
    await expect.poll(() => panel.stats().sse_clients, { timeout: 2000 }).toBe(0);
  });

  it('accepts a panel session cookie too', async () => {
    const { base } = await start();
    const cookie = await sessionCookie(base);
    const ac = new AbortController();
    cleanups.push(() => ac.abort());
    const res = await fetch(`${base}/api/events/stream`, { headers: { Cookie: cookie }, signal: ac.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: snapshot')) text += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
  });
});
