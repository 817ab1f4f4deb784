import { describe, expect, it } from 'vitest';
import { applyMessage, codeLock, currentCall, devices, doors, eventView, levelFraction, registration } from '../../daemon/panel/web/model.mjs';

const intercomCall = (state: string, extra: Record<string, unknown> = {}) => ({
  id: 'c1',
  direction: 'outgoing',
  state,
  peer: 'sip:flat@127.0.0.1:5070',
  codec: 'g722',
  duration_s: 3,
  media: {
    loss: 0.0125,
    jitter_ms: 4.8,
    level_in_dbfs: -30,
    level_out_dbfs: -12,
    jitter_buffer: { targetDelayMs: 61.6, depthFrames: 2, late: 1, concealed: 5 },
  },
  ...extra,
});

describe('panel page model', () => {
  it('reads the registration state and server', () => {
    expect(registration({ sip: { registration: 'registered', registrar: 'sip:pbx.home' } })).toEqual({ state: 'registered', server: 'sip:pbx.home', detail: '' });
    expect(registration({})).toEqual({ state: 'unknown', server: '', detail: '' });
  });

  it('reads the intercom call with its media figures', () => {
    const c = currentCall({ calls: [intercomCall('connected')] })!;
    expect(c).toMatchObject({ state: 'connected', peer: 'sip:flat@127.0.0.1:5070', codec: 'g722', durationS: 3, active: true });
    expect(c.levels).toEqual({ in: -30, out: -12 });
    expect(c.jitter).toEqual({ depthMs: 62, depthFrames: 2, lost: 5, late: 1, lossPct: 1.3, jitterMs: 4.8 });
  });

  it('shows the active call before an ended one, else the last ended', () => {
    const ended = intercomCall('ended', { id: 'old', end_reason: 'hung up' });
    expect(currentCall({ calls: [intercomCall('ringing', { id: 'new' }), ended] })?.id).toBe('new');
    expect(currentCall({ calls: [ended] })).toMatchObject({ id: 'old', active: false, endReason: 'hung up' });
    expect(currentCall({ calls: [] })).toBeNull();
  });

  it('maps dBFS levels to a 0..1 meter with a -60 dB floor', () => {
    expect([levelFraction(-60), levelFraction(-30), levelFraction(0), levelFraction(-90), levelFraction(null), levelFraction(0.4)]).toEqual([0, 0.5, 0, 0, 0, 0.4]);
  });

  it('lists devices with their states', () => {
    const d = devices({ buttons: { door: { pressed: true, driver: 'sim' } }, relays: { door: { state: 'on', driver: 'gpiod' } }, inputs: { c: { active: false } }, leds: {} });
    expect(d.map((x) => [x.kind, x.id, x.on, x.label])).toEqual([
      ['button', 'door', true, 'pressed'],
      ['relay', 'door', true, 'on'],
      ['input', 'c', false, 'inactive'],
    ]);
  });

  it('reads an input that is a door contact as open or closed, the word the Doors card uses', () => {
    const status = { relays: { door: { state: 'off' } }, inputs: { c: { id: 'c', active: true }, x: { id: 'x', active: true } }, doors: [{ relay: 'door', contact: 'c' }] };
    expect(devices(status).filter((x) => x.kind === 'input').map((x) => [x.id, x.label])).toEqual([
      ['c', 'open'],
      ['x', 'active'],
    ]);
  });

  it('takes doors from the relays while the doors section lists none, and reads the code lockout', () => {
    const status = { relays: { door: { state: 'on' }, gate: { state: 'off' } }, doors: { codes: { locked: true, lockedForS: 42, failures: 3 } } };
    expect(doors(status)).toEqual([
      { relay: 'door', open: true, contact: null, contactOpen: null },
      { relay: 'gate', open: false, contact: null, contactOpen: null },
    ]);
    expect(codeLock(status)).toEqual({ locked: true, forS: 42, failures: 3 });
    expect(doors({ relays: { door: { state: 'off' } }, inputs: { dc: { active: true } }, doors: [{ relay: 'door', contact: 'dc' }] })).toEqual([
      { relay: 'door', open: false, contact: 'dc', contactOpen: true },
    ]);
  });

  it('applies snapshot, delta and event messages, keeping the last events', () => {
    const st = { status: {}, events: [] as unknown[] };
    expect(applyMessage(st, { type: 'snapshot', status: { a: 1 }, events: [{ type: 'x' }] })).toBe('snapshot');
    expect(applyMessage(st, { type: 'delta', section: 'relays', value: { door: {} } })).toBe('relays');
    expect(st.status).toEqual({ a: 1, relays: { door: {} } });
    for (let i = 0; i < 60; i++) applyMessage(st, { type: 'event', event: { type: `e${i}` } }, 50);
    expect(st.events).toHaveLength(50);
    expect(st.events[49]).toEqual({ type: 'e59' });
    expect(applyMessage(st, { type: 'nonsense' })).toBeNull();
    expect(applyMessage(st, 'not an object')).toBeNull();
  });

  it('describes an event by type and its other fields', () => {
    expect(eventView({ time: 't', type: 'ring', button: 'door', targets: ['a', 'b'] })).toEqual({ time: 't', type: 'ring', text: 'Rang the flat (2 phones, parallel)' });
    expect(eventView({ time: 't', type: 'door_open', by: 'code' }).text).toBe('Door opened by code');
    expect(eventView('junk')).toEqual({ time: '', type: 'event', text: 'event' });
  });
});
