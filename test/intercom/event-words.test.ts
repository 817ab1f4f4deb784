import { describe, expect, it } from 'vitest';
import type { LoggedEvent } from '../../daemon/intercom/event-log.js';
import { describeEvent, duration } from '../../daemon/intercom/event-words.js';

const ev = (type: string, details: Record<string, unknown> = {}) => ({ time: '2026-12-04T20:00:00.000Z', type, ...details }) as LoggedEvent;

describe('the event log in words', () => {
  it.each([
    [ev('ring', { button: 'door', targets: ['100', '200'], mode: 'parallel' }), 'Rang the flat (2 phones, parallel)'],
    [ev('ring', { button: 'door', targets: ['100'] }), 'Rang the flat (100)'],
    [ev('answer', { peer: '100', direction: 'outgoing', codec: 'g722' }), '100 answered (g722)'],
    [ev('answer', { peer: 'panel', direction: 'outgoing', codec: 'opus' }), 'Answered in the panel (opus)'],
    [ev('ring', { targets: ['sip:flat@x', 'panel'], mode: 'parallel' }), 'Rang the flat (1 phone and the panel, parallel)'],
    [ev('ring', { targets: ['100', '200', 'panel'], mode: 'sequential' }), 'Rang the flat (2 phones and the panel, sequential)'],
    [ev('ring', { targets: ['panel'] }), 'Rang the flat (the panel)'],
    [ev('answer', { peer: 'sip:200@pbx', direction: 'incoming', codec: 'pcmu' }), 'Answered a call from sip:200@pbx (pcmu)'],
    [ev('hangup', { reason: 'hung up', by: 'remote', duration_s: 75 }), 'Call ended after 1 min 15 s by the phone: hung up'],
    [ev('hangup', { reason: 'door opened', by: 'local', duration_s: 8 }), 'Call ended after 8 s by the door: door opened'],
    [ev('door_open', { relay: 'door', by: 'code', ms: 3000 }), 'Door opened by code'],
    [ev('door_open', { relay: 'gate', by: 'api' }), 'Door gate opened from the API'],
    [ev('code_failed', { failures: 2, digits: 4 }), 'Wrong door code (2 failures in a row)'],
    [ev('code_failed', { locked: true, locked_for_s: 42 }), 'Door code refused: codes are locked for 42 s more'],
    [ev('lockout', { seconds: 60, failures: 5 }), 'Door codes locked for 1 min after 5 wrong codes'],
    [ev('registration', { state: 'registered' }), 'Registered with the PBX'],
    [ev('registration', { state: 'failed', reason: '403 Forbidden' }), 'Registration failed: 403 Forbidden'],
    [ev('rejected_call', { from: 'sip:x@127.0.0.2', status: 403, reason: 'source not allowed' }), 'Refused a call from sip:x@127.0.0.2 (403): source not allowed'],
    [ev('call_failed', { reason: 'nobody answered' }), 'Could not reach the flat: nobody answered'],
    [ev('started', { version: '0.1.0' }), 'portier 0.1.0 started'],
  ])('%j reads "%s"', (e, words) => {
    expect(describeEvent(e)).toBe(words);
  });

  it('reads an unknown type and junk details without throwing', () => {
    expect(describeEvent(ev('something_new'))).toBe('something new');
    expect(describeEvent(ev('hangup', { duration_s: 'x', reason: 42 }))).toBe('Call ended: 42');
    expect(duration(3600)).toBe('60 min');
  });
});
