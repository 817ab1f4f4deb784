import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { clearedSessionCookie, originMatches, PanelAuth, parseCookies, sessionCookie } from '../../daemon/panel/auth.js';
import { SessionStore } from '../../daemon/panel/sessions.js';

const TOKEN = 'a-token-of-sixteen-chars';

function setup() {
  const sessions = new SessionStore();
  const auth = new PanelAuth({ token: TOKEN, sessions });
  const { id } = sessions.create();
  return { auth, sessions, id, cookie: `other=1; portier_session=${id}` };
}

describe('Origin check', () => {
  it.each([
    ['http://127.0.0.1:8080', '127.0.0.1:8080', true],
    ['https://door.home', 'door.home', true],
    ['http://door.home:80', 'door.home', true],
    ['http://DOOR.home', 'door.home:80', true],
    ['http://[::1]:8080', '[::1]:8080', true],
    ['http://127.0.0.1:8081', '127.0.0.1:8080', false],
    ['http://evil.example', '127.0.0.1:8080', false],
    ['http://127.0.0.1:8080.evil.example', '127.0.0.1:8080', false],
    ['null', '127.0.0.1:8080', false],
    ['file://', 'localhost', false],
    ['http://127.0.0.1:8080/path', '127.0.0.1:8080', false],
    ['http://user@127.0.0.1:8080', '127.0.0.1:8080', false],
    ['', '127.0.0.1:8080', false],
    ['http://127.0.0.1:8080', '', false],
    ['http://127.0.0.1:8080', 'bad host with spaces', false],
  ])('%j against Host %j: %s', (origin, host, ok) => {
    expect(originMatches(origin, host)).toBe(ok);
  });
});

describe('cookies', () => {
  it('parses a Cookie header, first value wins, quotes stripped, junk ignored', () => {
    const m = parseCookies('a=1; b="two"; junk; a=3; =x');
    expect([...m]).toEqual([
      ['a', '1'],
      ['b', 'two'],
    ]);
    expect(parseCookies(undefined).size).toBe(0);
  });

  it('sets the session cookie HttpOnly, SameSite=Strict, Path=/ and Secure only over https', () => {
    const plain = sessionCookie('abc', { secure: false, maxAgeS: 3600 });
    expect(plain).toBe('portier_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600');
    expect(sessionCookie('abc', { secure: true, maxAgeS: 3600 })).toMatch(/; Secure$/);
    expect(clearedSessionCookie(false)).toMatch(/^portier_session=; .*Max-Age=0$/);
  });
});

describe('WebSocket upgrade check', () => {
  it('accepts a session with its own Origin, or the bearer token without one', () => {
    const { auth, cookie } = setup();
    const s = auth.checkUpgrade({ cookie, origin: 'http://127.0.0.1:8080', host: '127.0.0.1:8080' });
    expect(s.ok && s.auth.via).toBe('session');
    const t = auth.checkUpgrade({ authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:8080' });
    expect(t.ok && t.auth.via).toBe('token');
  });

  it('refuses a foreign Origin with 403 even with a valid session or token', () => {
    const { auth, cookie } = setup();
    expect(auth.checkUpgrade({ cookie, origin: 'http://evil.example', host: '127.0.0.1:8080' })).toMatchObject({ ok: false, status: 403 });
    expect(auth.checkUpgrade({ authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example', host: '127.0.0.1:8080' })).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('refuses no session, a logged-out session and a wrong token with 401', () => {
    const { auth, sessions, id, cookie } = setup();
    const h = { origin: 'http://127.0.0.1:8080', host: '127.0.0.1:8080' };
    expect(auth.checkUpgrade(h)).toMatchObject({ ok: false, status: 401 });
    expect(auth.checkUpgrade({ ...h, authorization: 'Bearer wrong-token-wrong-token' })).toMatchObject({ ok: false, status: 401 });
    sessions.destroy(id);
    expect(auth.checkUpgrade({ ...h, cookie })).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses a session cookie without any Origin (403): browsers always send one', () => {
    const { auth, cookie } = setup();
    expect(auth.checkUpgrade({ cookie, host: '127.0.0.1:8080' })).toMatchObject({ ok: false, status: 403 });
  });
});

describe('API middleware', () => {
  function app() {
    const s = setup();
    const a = new Hono();
    let hits = 0;
    a.use('*', s.auth.middleware());
    a.get('/x', (c) => c.json({ hits }));
    a.post('/x', (c) => c.json({ hits: ++hits }));
    return { a, ...s, hits: () => hits };
  }
  const host = { Host: '127.0.0.1:8080' };

  it('lets a session read without Origin but refuses a cross-origin change (403)', async () => {
    const { a, cookie, hits } = app();
    expect((await a.request('/x', { headers: { ...host, Cookie: cookie } })).status).toBe(200);
    expect((await a.request('/x', { method: 'POST', headers: { ...host, Cookie: cookie } })).status).toBe(403);
    expect((await a.request('/x', { method: 'POST', headers: { ...host, Cookie: cookie, Origin: 'http://evil.example' } })).status).toBe(403);
    expect(hits()).toBe(0);
    expect((await a.request('/x', { method: 'POST', headers: { ...host, Cookie: cookie, Origin: 'http://127.0.0.1:8080' } })).status).toBe(200);
    expect(hits()).toBe(1);
  });

  it('lets the bearer token change things without Origin (scripts), and refuses neither with 401', async () => {
    const { a } = app();
    expect((await a.request('/x', { method: 'POST', headers: { ...host, Authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const res = await a.request('/x', { headers: host });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/Bearer/);
  });
});
