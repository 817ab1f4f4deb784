import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createApi, MAX_BODY_BYTES, type ApiController } from '../../daemon/panel/api.js';
import { startHttpServer } from '../../daemon/panel/server.js';
import { PortierError } from '../../daemon/util/errors.js';

function setup() {
  const pressed: string[] = [];
  const pulses: [string, number | undefined][] = [];
  const controller: ApiController = {
    health: () => ({ ok: true, version: '1.2.3' }),
    status: () => ({ sip: { registration: 'unregistered' }, calls: [] }),
    pressButton(id) {
      if (id !== 'door') throw new PortierError('NOT_FOUND', `no button "${id}"`);
      pressed.push(id);
    },
    pulseRelay(id, ms) {
      if (id !== 'door') throw new PortierError('NOT_FOUND', `no relay "${id}"`);
      pulses.push([id, ms]);
      return { ms: ms ?? 3000 };
    },
  };
  const app = createApi({ controller, token: 'a-token-of-sixteen-chars' });
  const auth = { Authorization: 'Bearer a-token-of-sixteen-chars' };
  return { app, auth, pressed, pulses };
}

describe('HTTP API', () => {
  it('answers /api/health without auth', async () => {
    const { app } = setup();
    const res = await app.request('/api/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, version: '1.2.3' });
  });

  it('refuses everything else without the bearer token, or with a wrong one', async () => {
    const { app, pressed } = setup();
    expect((await app.request('/api/status')).status).toBe(401);
    expect((await app.request('/api/status', { headers: { Authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await app.request('/api/buttons/door/press', { method: 'POST' })).status).toBe(401);
    expect(pressed).toEqual([]);
  });

  it('presses a button with an empty body or {}', async () => {
    const { app, auth, pressed } = setup();
    expect((await app.request('/api/buttons/door/press', { method: 'POST', headers: auth })).status).toBe(200);
    expect((await app.request('/api/buttons/door/press', { method: 'POST', headers: auth, body: '{}' })).status).toBe(200);
    expect(pressed).toEqual(['door', 'door']);
  });

  it('gives 404 naming an unknown button or relay', async () => {
    const { app, auth } = setup();
    const res = await app.request('/api/buttons/back/press', { method: 'POST', headers: auth });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'no button "back"', code: 'NOT_FOUND' });
  });

  it('pulses a relay for the given ms and checks the value', async () => {
    const { app, auth, pulses } = setup();
    const ok = await app.request('/api/relays/door/pulse', { method: 'POST', headers: auth, body: '{"ms": 500}' });
    expect(await ok.json()).toEqual({ ok: true, ms: 500 });
    for (const body of ['{"ms": -1}', '{"ms": "500"}', '{"ms": 1.5}', '[1]', 'not json', 'null']) {
      const res = await app.request('/api/relays/door/pulse', { method: 'POST', headers: auth, body });
      expect(res.status, body).toBe(400);
      expect((await res.json()).error).toMatch(/ms|JSON/);
    }
    expect(pulses).toEqual([['door', 500]]);
  });

  it('refuses an oversized body with 413', async () => {
    const { app, auth } = setup();
    const body = JSON.stringify({ pad: 'x'.repeat(20000) });
    const res = await app.request('/api/relays/door/pulse', { method: 'POST', headers: { ...auth, 'Content-Length': String(body.length) }, body });
    expect(res.status).toBe(413);
  });

  it('answers an unknown endpoint with 404 JSON', async () => {
    const { app, auth } = setup();
    const res = await app.request('/api/nothing', { headers: auth });
    expect(res.status).toBe(404);
  });

  it('on the real server reads bodies from the socket: JSON works, too large is 413 whether declared or chunked, the connection stays usable', async () => {
    const { app, auth, pulses } = setup();
    const http = await startHttpServer(app, '127.0.0.1', 0);
    // one kept-alive socket for every request, so a refused body must not spoil the next request
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (body: string | string[], headers: Record<string, string> = {}) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: http.port, path: '/api/relays/door/pulse', method: 'POST', agent, headers: { ...auth, ...headers } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        for (const part of Array.isArray(body) ? body : [body]) req.write(part);
        req.end();
      });
    try {
      expect(await send('{"ms": 250}', { 'Content-Length': '11' })).toMatchObject({ status: 200 });
      expect((await send('', { 'Content-Length': '0' })).status).toBe(200);
      const big = 'x'.repeat(MAX_BODY_BYTES + 1);
      const declared = await send(big, { 'Content-Length': String(big.length) });
      expect(declared.status).toBe(413);
      expect(JSON.parse(declared.text)).toMatchObject({ code: 'TOO_LARGE', error: `body larger than ${MAX_BODY_BYTES} bytes` });
      // chunked: no Content-Length, the size shows only while reading
      const chunked = await send(['{"pad":"', 'y'.repeat(MAX_BODY_BYTES), '"}']);
      expect(chunked.status).toBe(413);
      expect((await send(['{"ms"', ': 300}'])).status).toBe(200);
      expect((await send('{"ms": "x"}', { 'Content-Length': '11' })).status).toBe(400);
      expect(pulses).toEqual([
        ['door', 250],
        ['door', undefined],
        ['door', 300],
      ]);
    } finally {
      agent.destroy();
      await http.close();
    }
  });
});
