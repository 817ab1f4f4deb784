import { describe, expect, it } from 'vitest';
import { createApi, type ApiController } from '../../daemon/panel/api.js';

describe('HTTP API errors', () => {
  it('an unexpected error is logged with its stack before the 500 (not swallowed)', async () => {
    const logged: Record<string, unknown>[] = [];
    const controller: ApiController = {
      health: () => ({ ok: true, version: '1' }),
      status: () => {
        throw new TypeError('status section is broken');
      },
      pressButton: () => undefined,
      pulseRelay: () => ({ ms: 1 }),
    };
    const app = createApi({ controller, token: 'a-token-of-sixteen-chars', log: { error: (o) => void logged.push(o as Record<string, unknown>) } });
    const res = await app.request('/api/status', { headers: { Authorization: 'Bearer a-token-of-sixteen-chars' } });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'internal error', code: 'INTERNAL' });
    expect(logged).toHaveLength(1);
    expect(String(logged[0].stack)).toMatch(/TypeError: status section is broken/);
    expect(logged[0]).toMatchObject({ method: 'GET', path: '/api/status' });
  });
});
