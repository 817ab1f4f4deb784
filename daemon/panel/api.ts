/**
 * The HTTP API under /api (hono). Thin: it checks input, calls the controller, and maps errors to
 * 4xx answers with a sentence naming the problem. The daemon keeps running whatever comes in.
 */
import { timingSafeEqual } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PortierError } from '../util/errors.js';

/** What the API drives; main.ts implements it over the HAL, the user agent and the intercom. */
export interface ApiController {
  health(): { ok: boolean; version: string };
  status(): unknown;
  pressButton(id: string): void;
  pulseRelay(id: string, ms: number | undefined): { ms: number };
}

export interface ApiOptions {
  controller: ApiController;
  /** bearer token; absent: only a panel session authenticates (none yet), so the API answers 401 */
  token?: string;
  maxBodyBytes?: number;
  /** replaces the bearer-only check (the panel passes one that also takes its session cookie) */
  auth?: MiddlewareHandler;
  /** extra routes (later issues): called with the authenticated app */
  extend?: (app: Hono) => void;
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function requireAuth(token: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!token || !m || !safeEqual(m[1], token)) {
      c.header('WWW-Authenticate', 'Bearer realm="portier"');
      return c.json({ error: token ? 'missing or wrong bearer token' : 'no API token is configured (panel.token)', code: 'UNAUTHORIZED' }, 401);
    }
    await next();
  };
}

/** Reads an optional JSON object body: empty is {}, anything but an object is a 400. */
export async function jsonObject(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PortierError('BAD_REQUEST', 'body is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PortierError('BAD_REQUEST', 'body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

export function createApi(opts: ApiOptions): Hono {
  const app = new Hono();
  const { controller } = opts;

  app.onError((err, c) => {
    if (err instanceof PortierError) {
      const status = err.code === 'NOT_FOUND' ? 404 : err.code === 'BAD_REQUEST' ? 400 : 409;
      return c.json({ error: err.message, code: err.code }, status);
    }
    return c.json({ error: 'internal error', code: 'INTERNAL' }, 500);
  });
  app.notFound((c) => c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path}`, code: 'NOT_FOUND' }, 404));

  app.get('/api/health', (c) => c.json(controller.health()));

  const api = new Hono();
  api.use('*', opts.auth ?? requireAuth(opts.token));
  api.use(
    '*',
    bodyLimit({
      maxSize: opts.maxBodyBytes ?? 16 * 1024,
      onError: (c) => c.json({ error: `body larger than ${opts.maxBodyBytes ?? 16 * 1024} bytes`, code: 'BAD_REQUEST' }, 413),
    }),
  );
  api.get('/status', (c) => c.json(controller.status() as object));
  api.post('/buttons/:id/press', async (c) => {
    await jsonObject(c);
    controller.pressButton(c.req.param('id'));
    return c.json({ ok: true });
  });
  api.post('/relays/:id/pulse', async (c) => {
    const body = await jsonObject(c);
    const ms = body.ms;
    if (ms !== undefined && (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 1 || ms > 60000)) {
      throw new PortierError('BAD_REQUEST', '"ms" must be an integer from 1 to 60000');
    }
    return c.json({ ok: true, ...controller.pulseRelay(c.req.param('id'), ms as number | undefined) });
  });
  opts.extend?.(api);
  app.route('/api', api);
  return app;
}
