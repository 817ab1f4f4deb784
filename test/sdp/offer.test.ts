import { parse } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { createOffer, holdOffer, nextOffer, resumeOffer } from '../../daemon/sdp/index.js';
import { PortierError } from '../../daemon/util/errors.js';

const base = { codecs: ['g722', 'pcmu', 'pcma', 'opus'] as const, address: '192.168.1.10', port: 40000 };

describe('createOffer', () => {
  it('offers telephone-event/8000 even with Opus alone (phones with only 8 kHz events), and /48000 for Opus', () => {
    const m = parse(createOffer({ ...base, codecs: ['opus'] }).sdp).media[0];
    expect(m.rtp).toContainEqual({ payload: 101, codec: 'telephone-event', rate: 8000 });
    expect(m.rtp).toContainEqual({ payload: 110, codec: 'telephone-event', rate: 48000 });
  });

  it('lists the codecs in configured order, then telephone-event at 8000 and 48000 with events 0-16', () => {
    const o = createOffer({ ...base, codecs: [...base.codecs] });
    const m = parse(o.sdp).media[0];
    expect(m.type).toBe('audio');
    expect(m.port).toBe(40000);
    expect(m.protocol).toBe('RTP/AVP');
    expect(m.payloads).toBe('9 0 8 111 101 110');
    expect(m.rtp).toContainEqual({ payload: 9, codec: 'G722', rate: 8000 });
    expect(m.rtp).toContainEqual({ payload: 111, codec: 'opus', rate: 48000, encoding: 2 });
    expect(m.rtp).toContainEqual({ payload: 101, codec: 'telephone-event', rate: 8000 });
    expect(m.rtp).toContainEqual({ payload: 110, codec: 'telephone-event', rate: 48000 });
    expect(m.fmtp).toContainEqual({ payload: 101, config: '0-16' });
    expect(m.fmtp).toContainEqual({ payload: 110, config: '0-16' });
    expect(m.fmtp.find((f) => f.payload === 111)?.config).toMatch(/useinbandfec=1;maxplaybackrate=\d+/);
    expect(m.ptime).toBe(20);
    expect(m.direction).toBe('sendrecv');
    expect(o.sdp.includes('\r\n')).toBe(true);
  });

  it('offers only telephone-event/8000 when no 48 kHz codec is configured', () => {
    const m = parse(createOffer({ ...base, codecs: ['pcmu'] }).sdp).media[0];
    expect(m.payloads).toBe('0 101');
  });

  it('leaves telephone-event out when told to', () => {
    const m = parse(createOffer({ ...base, codecs: ['pcma'], telephoneEvent: false }).sdp).media[0];
    expect(String(m.payloads)).toBe('8');
  });

  it('writes IN IP6 in o= and c= for an IPv6 address', () => {
    const d = parse(createOffer({ ...base, codecs: ['pcmu'], address: '2001:db8::10' }).sdp);
    expect(d.connection).toEqual({ version: 6, ip: '2001:db8::10' });
    expect(d.origin.ipVer).toBe(6);
  });

  it('refuses an unusable local address or an empty codec list with a PortierError', () => {
    expect(() => createOffer({ ...base, codecs: ['pcmu'], address: 'door.local' })).toThrowError(PortierError);
    expect(() => createOffer({ ...base, codecs: [] })).toThrowError(/No usable codec/);
  });
});

describe('new offers in the same session (re-INVITE, RFC 3264 8)', () => {
  it('keeps the o= session id and increments its version each time', () => {
    const o1 = createOffer({ ...base, codecs: ['pcmu'], session: { id: '4242', version: 7 } });
    const o2 = nextOffer(o1, { port: 40002 });
    const o3 = nextOffer(o2);
    const [d1, d2, d3] = [o1, o2, o3].map((o) => parse(o.sdp));
    expect(String(d2.origin.sessionId)).toBe('4242');
    expect([d1.origin.sessionVersion, d2.origin.sessionVersion, d3.origin.sessionVersion]).toEqual([7, 8, 9]);
    expect(d2.media[0].port).toBe(40002);
  });

  it('accepts sessionId/sessionVersion shorthands for the o= line', () => {
    const d = parse(createOffer({ ...base, codecs: ['pcmu'], sessionId: 99, sessionVersion: 3 }).sdp);
    expect(String(d.origin.sessionId)).toBe('99');
    expect(d.origin.sessionVersion).toBe(3);
  });

  it('puts the peer on hold with sendonly, or inactive when we were only receiving, and resumes with sendrecv', () => {
    const o = createOffer({ ...base, codecs: ['pcmu'] });
    const held = holdOffer(o);
    expect(parse(held.sdp).media[0].direction).toBe('sendonly');
    const recvOnly = nextOffer(o, { direction: 'recvonly' });
    expect(parse(holdOffer(recvOnly).sdp).media[0].direction).toBe('inactive');
    const resumed = resumeOffer(held);
    expect(parse(resumed.sdp).media[0].direction).toBe('sendrecv');
    expect(parse(resumed.sdp).origin.sessionVersion).toBe(parse(o.sdp).origin.sessionVersion + 2);
  });
});
