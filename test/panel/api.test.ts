import { describe, expect, it } from 'vitest';
import { createApi, type ApiController } from '../../daemon/panel/api.js';
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
});
