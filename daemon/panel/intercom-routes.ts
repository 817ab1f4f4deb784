/**
 * The intercom's API routes (authenticated, under /api): hang up, open a door, the event log, and
 * the demo flat's DTMF keypad.
 */
import type { Hono } from 'hono';
import type { DemoFlat } from '../intercom/demo-flat.js';
import type { EventLog } from '../intercom/event-log.js';
import type { Intercom } from '../intercom/intercom.js';
import { jsonObject } from './api.js';
import { PortierError } from '../util/errors.js';

export function registerIntercomRoutes(api: Hono, d: { intercom: Intercom; events: EventLog; demoFlat: DemoFlat | null }): void {
  api.post('/calls/hangup', async (c) => {
    await jsonObject(c);
    if (!d.intercom.hangup('hung up through the API')) throw new PortierError('NOT_FOUND', 'there is no call to hang up');
    return c.json({ ok: true });
  });

  api.post('/doors/:relay/open', async (c) => {
    await jsonObject(c);
    // a person in the panel (a session) or a program with the token: the log says which
    const auth = c.get('auth' as never) as { via?: string; session?: { key: string } } | undefined;
    const opened =
      auth?.via === 'session' && auth.session
        ? d.intercom.openDoor(c.req.param('relay'), 'panel', { session: auth.session.key.slice(0, 8) })
        : d.intercom.openDoor(c.req.param('relay'), 'api');
    return c.json({ ok: true, ...opened });
  });

  api.get('/events', (c) => {
    const raw = c.req.query('limit');
    const limit = raw === undefined ? 50 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new PortierError('BAD_REQUEST', '"limit" must be an integer from 1 to 1000');
    return c.json({ events: d.events.recent(limit) });
  });

  api.post('/demo/flat/dtmf', async (c) => {
    if (!d.demoFlat) throw new PortierError('NOT_FOUND', 'the demo flat is not running (it runs with the built-in demo, or demo.flat = true)');
    const body = await jsonObject(c);
    const digits = body.digits;
    if (typeof digits !== 'string' || !/^[0-9*#A-D]{1,32}$/.test(digits)) {
      throw new PortierError('BAD_REQUEST', '"digits" must be 1-32 of 0-9, *, #, A-D');
    }
    d.demoFlat.sendDtmf(digits);
    return c.json({ ok: true, digits });
  });
}
