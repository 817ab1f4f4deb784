/**
 * The panel's page routes: GET / (the live view, or the login page for a visitor without a session),
 * POST /login, POST /logout, and the built assets under /assets/. The script is only served to a
 * logged-in visitor; the stylesheet is public (the login page uses it).
 */
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from '../util/log.js';
import type { WebAssets } from './assets.js';
import { clearedSessionCookie, originMatches, parseCookies, SESSION_COOKIE, sessionCookie, type PanelAuth } from './auth.js';
import { appPage, CSP, loginPage } from './pages.js';
import type { LoginLink } from './login-link.js';
import type { LoginLimiter } from './rate-limit.js';

export interface PageRouteOptions {
  auth: PanelAuth;
  limiter: LoginLimiter;
  assets: WebAssets;
  passwordHash?: string;
  verify: (password: string, hash: string) => Promise<boolean>;
  log?: Logger;
  /** a session ended by logout: its WebSockets close */
  onLogout?: (sessionKey: string) => void;
  /** `panel.login_link`: GET /login?once=TOKEN logs in once */
  loginLink?: LoginLink;
  /** the source address for rate limiting (tests inject one) */
  remoteAddress?: (c: Context) => string;
}

function defaultRemote(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

const isHttps = (c: Context) => new URL(c.req.url).protocol === 'https:';

function html(c: Context, body: string, status: 200 | 401 | 403 | 429 = 200): Response {
  c.header('Content-Security-Policy', CSP);
  c.header('X-Frame-Options', 'DENY');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'same-origin');
  c.header('Cache-Control', 'no-store');
  return c.html(body, status);
}

export function addPageRoutes(app: Hono, o: PageRouteOptions): void {
  const remote = o.remoteAddress ?? defaultRemote;
  const headers = (c: Context) => ({ cookie: c.req.header('cookie'), authorization: c.req.header('authorization') });
  const login = (c: Context, extra: { error?: string; retryAfterS?: number } = {}, status: 200 | 401 | 403 | 429 = 200) =>
    html(
      c,
      loginPage({ cssVersion: o.assets.version('app.css'), noPassword: !o.passwordHash, loginLink: !!o.loginLink, ...extra }),
      status,
    );
  const startSession = (c: Context, address: string, how: string) => {
    const { id, info } = o.auth.sessions.create();
    o.log?.info({ remote: address, session: info.key.slice(0, 8), how }, 'panel login');
    c.header('Set-Cookie', sessionCookie(id, { secure: isHttps(c), maxAgeS: o.auth.sessions.maxAgeMs / 1000 }));
    c.header('Cache-Control', 'no-store');
    return c.redirect('/', 303);
  };

  app.get('/', (c) => {
    const auth = o.auth.authenticate(headers(c));
    if (auth?.via !== 'session') return login(c);
    return html(c, appPage({ cssVersion: o.assets.version('app.css'), jsVersion: o.assets.version('app.js'), assetsMissing: !o.assets.available }));
  });
  app.get('/login', (c) => {
    const once = c.req.query('once');
    if (once === undefined) return c.redirect('/', 303);
    const address = remote(c);
    const allowed = o.limiter.check(address);
    if (!allowed.allowed) {
      c.header('Retry-After', String(allowed.retryAfterS));
      return login(c, { error: `Too many wrong tries. Try again in ${allowed.retryAfterS} s.`, retryAfterS: allowed.retryAfterS }, 429);
    }
    if (o.loginLink?.consume(once)) {
      o.limiter.succeed(address);
      return startSession(c, address, 'login link');
    }
    o.limiter.fail(address);
    o.log?.warn({ remote: address }, 'panel login link refused (wrong, or used already)');
    return login(c, { error: 'This login link is wrong or was used already. Restart portier for a new one (it is in the log).' }, 403);
  });

  app.post('/login', bodyLimit({ maxSize: 4096, onError: (c) => c.text('login form too large', 413) }), async (c) => {
    if (!o.passwordHash) return login(c, {}, 403);
    const origin = c.req.header('origin');
    // login CSRF: a form posted from another site must not log the browser in
    if (origin && !originMatches(origin, c.req.header('host'))) return login(c, { error: 'Log in from this page.' }, 403);
    const address = remote(c);
    const allowed = o.limiter.check(address);
    if (!allowed.allowed) {
      c.header('Retry-After', String(allowed.retryAfterS));
      return login(c, { error: `Too many wrong passwords. Try again in ${allowed.retryAfterS} s.`, retryAfterS: allowed.retryAfterS }, 429);
    }
    let password = '';
    try {
      const form = await c.req.parseBody();
      password = typeof form.password === 'string' ? form.password : '';
    } catch {
      /* an unreadable body is a wrong password */
    }
    if (password.length > 0 && password.length <= 1024 && (await o.verify(password, o.passwordHash))) {
      o.limiter.succeed(address);
      return startSession(c, address, 'password');
    }
    const after = o.limiter.fail(address);
    o.log?.warn({ remote: address }, 'panel login failed');
    if (!after.allowed) {
      c.header('Retry-After', String(after.retryAfterS));
      return login(c, { error: `Wrong password. Too many tries: wait ${after.retryAfterS} s.`, retryAfterS: after.retryAfterS }, 429);
    }
    return login(c, { error: 'Wrong password.' }, 401);
  });

  app.post('/logout', (c) => {
    const origin = c.req.header('origin');
    if (origin && !originMatches(origin, c.req.header('host'))) return c.text('cross-origin logout refused', 403);
    const key = o.auth.sessions.destroy(parseCookies(c.req.header('cookie')).get(SESSION_COOKIE));
    if (key) o.onLogout?.(key);
    c.header('Set-Cookie', clearedSessionCookie(isHttps(c)));
    return c.redirect('/', 303);
  });

  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    const asset = o.assets.get(name);
    if (!asset) return c.text('not found', 404);
    if (name !== 'app.css' && !o.auth.authenticate(headers(c))) return c.text('log in first', 401);
    c.header('ETag', asset.etag);
    c.header('Cache-Control', 'no-cache');
    c.header('X-Content-Type-Options', 'nosniff');
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
    c.header('Content-Type', asset.type);
    return c.body(new Uint8Array(asset.body));
  });
}
