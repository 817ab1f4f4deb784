/**
 * The HTTP API under /api (hono). Thin: it checks input, calls the controller, and maps errors to
 * 4xx answers with a sentence naming the problem. The daemon keeps running whatever comes in.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { PortierError } from '../util/errors.js';

/** the largest request body the API reads (its bodies are a few bytes of JSON) */
export const MAX_BODY_BYTES = 16 * 1024;

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
  /** replaces the bearer-only check (the panel passes one that also takes its session cookie) */
  auth?: MiddlewareHandler;
  /** extra routes (later issues): called with the authenticated app */
  extend?: (app: Hono) => void;
  /** where an unexpected error (a bug, not a PortierError) is logged with its stack before the 500 */
  log?: { error(obj: object, msg?: string): void };
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

function tooLarge(max: number): PortierError {
  return new PortierError('TOO_LARGE', `body larger than ${max} bytes`);
}

/**
 * The request body as text, refused (413) beyond `max` bytes, whether or not Content-Length says so.
 * On @hono/node-server it reads Node's IncomingMessage (hono's env.incoming) directly: building a
 * fetch Request with a web stream to read a few bytes of JSON costs more than all the rest of a
 * request, and the API's requests share the event loop with the media clock.
 */
export async function bodyText(c: Context, max = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(c.req.header('content-length'));
  if (declared > max) throw tooLarge(max);
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) {
    const text = await c.req.text();
    if (Buffer.byteLength(text) > max) throw tooLarge(max);
    return text;
  }
  if (declared === 0 || incoming.readableEnded) return '';
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        // stop keeping it; the rest is read and dropped so the connection stays usable
        incoming.off('data', onData);
        incoming.resume();
        reject(tooLarge(max));
        return;
      }
      chunks.push(chunk);
    };
    incoming.on('data', onData);
    incoming.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    incoming.once('error', (err) => reject(new PortierError('BAD_REQUEST', `request body could not be read: ${err.message}`)));
  });
}

/** Reads an optional JSON object body: empty is {}, anything but an object is a 400. */
export async function jsonObject(c: Context): Promise<Record<string, unknown>> {
  const text = await bodyText(c);
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
      const status = err.code === 'NOT_FOUND' ? 404 : err.code === 'BAD_REQUEST' ? 400 : err.code === 'TOO_LARGE' ? 413 : 409;
      return c.json({ error: err.message, code: err.code }, status);
    }
    opts.log?.error({ err, stack: err instanceof Error ? err.stack : undefined, method: c.req.method, path: c.req.path }, 'API request failed unexpectedly');
    return c.json({ error: 'internal error', code: 'INTERNAL' }, 500);
  });
  app.notFound((c) => c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path}`, code: 'NOT_FOUND' }, 404));

  app.get('/api/health', (c) => c.json(controller.health()));

  const api = new Hono();
  api.use('*', opts.auth ?? requireAuth(opts.token));
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
