/**
 * Who is asking: the API's bearer token or a panel session cookie. Cookie-authenticated requests that
 * change something, and every WebSocket upgrade from a browser, must also carry an Origin that names
 * this server (Host), so another site cannot ride on the resident's cookie (CSRF, cross-site WebSocket
 * hijacking). SameSite=Strict on the cookie is the first line; the Origin check is the second.
 */
import type { MiddlewareHandler } from 'hono';
import { safeEqual } from './api.js';
import type { SessionInfo, SessionStore } from './sessions.js';

export const SESSION_COOKIE = 'portier_session';

export type AuthResult = { via: 'token' } | { via: 'session'; session: SessionInfo } | null;

export interface RequestHeaders {
  authorization?: string | null;
  cookie?: string | null;
  origin?: string | null;
  host?: string | null;
}

/** Cookie header -> name/value map (first one wins); never throws. */
export function parseCookies(header: string | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (name && !out.has(name)) out.set(name, value);
  }
  return out;
}

/** Normalised host[:port] of an http(s) URL or a Host header; null when unusable. */
function hostOf(text: string, scheme?: boolean): string | null {
  try {
    const u = new URL(scheme ? text : `http://${text}`);
    if (scheme && u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    if (scheme && (u.pathname !== '/' || u.search || u.hash || u.username)) return null;
    return u.host.toLowerCase();
  } catch {
    return null;
  }
}

/** True when an Origin header ("http://host:port") names the same host and port as the Host header. */
export function originMatches(origin: string | null | undefined, host: string | null | undefined): boolean {
  if (!origin || !host || origin === 'null') return false;
  const o = hostOf(origin, true);
  const h = hostOf(host);
  return o !== null && h !== null && o === h;
}

export function sessionCookie(id: string, opts: { secure: boolean; maxAgeS: number }): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, Math.floor(opts.maxAgeS))}${opts.secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

export type UpgradeCheck = { ok: true; auth: NonNullable<AuthResult> } | { ok: false; status: 401 | 403; reason: string };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class PanelAuth {
  constructor(
    private readonly opts: { token?: string; sessions: SessionStore },
  ) {}

  get sessions(): SessionStore {
    return this.opts.sessions;
  }

  /** Bearer token first, then the session cookie. */
  authenticate(h: RequestHeaders): AuthResult {
    const m = /^Bearer\s+(\S+)$/i.exec(h.authorization ?? '');
    if (m && this.opts.token && safeEqual(m[1], this.opts.token)) return { via: 'token' };
    const id = parseCookies(h.cookie).get(SESSION_COOKIE);
    const session = this.opts.sessions.validate(id);
    return session ? { via: 'session', session } : null;
  }

  /**
   * A WebSocket upgrade: an Origin naming another host is 403 whatever else comes with it; then a
   * valid session or bearer token is needed (401); a session from a browser must come with Origin.
   */
  checkUpgrade(h: RequestHeaders): UpgradeCheck {
    if (h.origin && !originMatches(h.origin, h.host)) return { ok: false, status: 403, reason: 'Origin does not match this server' };
    const auth = this.authenticate(h);
    if (!auth) return { ok: false, status: 401, reason: 'no valid session or bearer token' };
    if (auth.via === 'session' && !h.origin) return { ok: false, status: 403, reason: 'a session needs an Origin header' };
    return { ok: true, auth };
  }

  /** Hono middleware for /api: token or session; a session's unsafe request needs a matching Origin. */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const h = {
        authorization: c.req.header('authorization'),
        cookie: c.req.header('cookie'),
        origin: c.req.header('origin'),
        host: c.req.header('host'),
      };
      const auth = this.authenticate(h);
      if (!auth) {
        c.header('WWW-Authenticate', 'Bearer realm="portier"');
        return c.json({ error: 'log in to the panel or send the API bearer token (Authorization: Bearer TOKEN)', code: 'UNAUTHORIZED' }, 401);
      }
      if (auth.via === 'session' && !SAFE_METHODS.has(c.req.method) && !originMatches(h.origin, h.host)) {
        return c.json({ error: 'cross-origin request refused (Origin must name this server)', code: 'FORBIDDEN' }, 403);
      }
      c.set('auth' as never, auth as never);
      await next();
    };
  }
}
