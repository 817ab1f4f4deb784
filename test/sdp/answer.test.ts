import fc from 'fast-check';
import { parse } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { createAnswer, type CreateAnswerResult, type LocalMediaOptions } from '../../daemon/sdp/index.js';
import { asteriskOffer, baresipOffer, opusOnlyOffer, sdp, withVideo } from './peer-sdp.js';

const local: LocalMediaOptions = { codecs: ['g722', 'pcmu', 'pcma', 'opus'], address: '192.168.1.10', port: 40000 };

function ok(r: CreateAnswerResult) {
  if (!r.ok) throw new Error(`expected an answer, got ${r.code}: ${r.reason}`);
  return r;
}

/** Replace one line of a sample SDP (by prefix) or drop it (replacement null). */
function edit(text: string, prefix: string, replacement: string | null): string {
  return text
    .split('\r\n')
    .flatMap((l) => (l.startsWith(prefix) ? (replacement === null ? [] : [replacement]) : [l]))
    .join('\r\n');
}

describe('createAnswer: codec choice', () => {
  it('picks the first of our preferences the offer contains and answers with it plus telephone-event', () => {
    const r = ok(createAnswer(baresipOffer, local));
    expect(r.negotiated).toMatchObject({
      codec: 'g722',
      payloadType: 9,
      clockRate: 8000,
      channels: 1,
      telephoneEvent: { payloadType: 101, clockRate: 8000 },
      remoteAddress: '127.0.0.1',
      remotePort: 10010,
      direction: 'sendrecv',
      remoteHold: false,
      ptime: 20,
    });
    const m = parse(r.sdp).media[0];
    expect(m.payloads).toBe('9 101');
    expect(m.port).toBe(40000);
  });

  it('keeps the offer\'s dynamic payload numbers for Opus and picks telephone-event at 48000 to match it', () => {
    const r = ok(createAnswer(opusOnlyOffer, { ...local, codecs: ['opus'] }));
    expect(r.negotiated).toMatchObject({ codec: 'opus', payloadType: 109, clockRate: 48000, channels: 2, telephoneEvent: { payloadType: 100, clockRate: 48000 } });
    expect(r.negotiated.fmtp).toMatchObject({ maxplaybackrate: '24000', useinbandfec: '1' });
    const m = parse(r.sdp).media[0];
    expect(m.payloads).toBe('109 100');
    expect(m.rtp).toContainEqual({ payload: 109, codec: 'opus', rate: 48000, encoding: 2 });
    expect(r.negotiated.remoteAddress).toBe('2001:db8::7');
  });

  it('takes telephone-event/8000 next to Opus when the offer has none at 48000 (DEVIATION from RFC 4733 2.1, noted)', () => {
    const offer = edit(edit(opusOnlyOffer, 'a=rtpmap:100', null), 'm=audio', 'm=audio 6000 RTP/AVP 109 101');
    const r = ok(createAnswer(offer, { ...local, codecs: ['opus'] }));
    expect(r.negotiated.telephoneEvent).toEqual({ payloadType: 101, clockRate: 8000 });
    expect(String(parse(r.sdp).media[0].payloads)).toBe('109 101');
    expect(r.negotiated.notes.join(' ')).toMatch(/telephone-event only at 8000 Hz.*using it anyway/);
  });

  it('understands static payload types without a=rtpmap', () => {
    const offer = sdp('v=0', 'o=- 1 1 IN IP4 10.1.1.1', 's=-', 'c=IN IP4 10.1.1.1', 't=0 0', 'm=audio 4000 RTP/AVP 18 8');
    const r = ok(createAnswer(offer, local));
    expect(r.negotiated.codec).toBe('pcma');
    expect(r.negotiated.telephoneEvent).toBeUndefined();
  });

  it('accepts G722/16000 as G.722 with an 8000 Hz RTP clock and says so', () => {
    const offer = edit(baresipOffer, 'a=rtpmap:9 ', 'a=rtpmap:9 G722/16000');
    const r = ok(createAnswer(offer, local));
    expect(r.negotiated.codec).toBe('g722');
    expect(r.negotiated.clockRate).toBe(8000);
    expect(r.negotiated.notes.join(' ')).toMatch(/G722\/16000/);
  });

  it('rejects an offer with no common codec: 488 and an answer with the stream at port 0', () => {
    const offer = sdp('v=0', 'o=- 1 1 IN IP4 10.1.1.1', 's=-', 'c=IN IP4 10.1.1.1', 't=0 0', 'm=audio 4000 RTP/AVP 18 3', 'a=rtpmap:18 G729/8000');
    const r = createAnswer(offer, local);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('SDP_NO_COMMON_CODEC');
    expect(r.status).toBe(488);
    expect(r.reason).toMatch(/G729/);
    const m = parse(r.sdp!).media[0];
    expect(m.port).toBe(0);
    expect(m.payloads).toBe('18 3');
  });
});

describe('createAnswer: streams', () => {
  it('declines a video stream with port 0 and keeps the m= lines in the offer\'s order', () => {
    const r = ok(createAnswer(withVideo, local));
    const media = parse(r.sdp).media;
    expect(media.map((m) => [m.type, m.port])).toEqual([
      ['video', 0],
      ['audio', 40000],
    ]);
    expect(r.negotiated.remotePort).toBe(7002);
    expect(r.negotiated.notes.join(' ')).toMatch(/declined the offered video/);
  });

  it('skips an audio stream that is disabled (port 0) and one with SRTP, with a reason when nothing is left', () => {
    const srtp = edit(asteriskOffer, 'm=audio', 'm=audio 12000 RTP/SAVP 8 0 101');
    const r = createAnswer(srtp, local);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('SDP_NO_AUDIO');
      expect(r.reason).toMatch(/SAVP/);
      expect(parse(r.sdp!).media[0].port).toBe(0);
    }
    const disabled = edit(asteriskOffer, 'm=audio', 'm=audio 0 RTP/AVP 8 0 101');
    const r2 = createAnswer(disabled, local);
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.reason).toMatch(/port 0/);
  });

  it('takes RTCP from a=rtcp when present and RTP port + 1 otherwise', () => {
    expect(ok(createAnswer(baresipOffer, local)).negotiated.remoteRtcp).toEqual({ address: '127.0.0.1', port: 10011 });
    expect(ok(createAnswer(asteriskOffer, local)).negotiated.remoteRtcp).toEqual({ address: '192.168.178.2', port: 12001 });
  });

  it('prefers a stream-level c= over the session-level one', () => {
    const offer = edit(asteriskOffer, 'a=rtpmap:8', 'c=IN IP4 192.168.178.99\r\na=rtpmap:8 PCMA/8000');
    expect(ok(createAnswer(offer, local)).negotiated.remoteAddress).toBe('192.168.178.99');
  });
});

describe('createAnswer: direction and hold', () => {
  it.each([
    ['sendrecv', 'sendrecv', false],
    ['sendonly', 'recvonly', true],
    ['recvonly', 'sendonly', false],
    ['inactive', 'inactive', true],
  ] as const)('answers an offer marked %s with %s (remote hold: %s)', (offered, ours, hold) => {
    const r = ok(createAnswer(edit(asteriskOffer, 'a=sendrecv', `a=${offered}`), local));
    expect(r.negotiated.direction).toBe(ours);
    expect(r.negotiated.remoteHold).toBe(hold);
    expect(parse(r.sdp).media[0].direction).toBe(ours);
  });

  it('treats c=0.0.0.0 as hold: we may receive but not send', () => {
    const r = ok(createAnswer(edit(asteriskOffer, 'c=', 'c=IN IP4 0.0.0.0'), local));
    expect(r.negotiated.remoteHold).toBe(true);
    expect(r.negotiated.direction).toBe('recvonly');
    expect(r.negotiated.remoteRtcp).toBeUndefined();
    expect(r.negotiated.notes.join(' ')).toMatch(/0\.0\.0\.0/);
  });

  it('never sends when we only want to receive, whatever the offer says', () => {
    expect(ok(createAnswer(asteriskOffer, { ...local, direction: 'recvonly' })).negotiated.direction).toBe('recvonly');
    expect(ok(createAnswer(edit(asteriskOffer, 'a=sendrecv', 'a=recvonly'), { ...local, direction: 'recvonly' })).negotiated.direction).toBe('inactive');
  });

  it('answers a re-INVITE with the same o= id and the next version', () => {
    const first = ok(createAnswer(asteriskOffer, local));
    const again = ok(createAnswer(asteriskOffer, local, first.session));
    const [a, b] = [first, again].map((r) => parse(r.sdp).origin);
    expect(String(b.sessionId)).toBe(String(a.sessionId));
    expect(b.sessionVersion).toBe(a.sessionVersion + 1);
  });
});

describe('createAnswer: ptime', () => {
  it('sends 20 ms when the peer allows it and notes a different preferred ptime', () => {
    const r = ok(createAnswer(edit(asteriskOffer, 'a=ptime', 'a=ptime:30'), local));
    expect(r.negotiated.ptime).toBe(20);
    expect(r.negotiated.remotePtime).toBe(30);
    expect(r.negotiated.remoteMaxPtime).toBe(150);
    expect(r.negotiated.notes.join(' ')).toMatch(/prefers 30 ms/);
  });

  it('sends smaller packets when the peer\'s maxptime is below 20 ms, and says so', () => {
    const r = ok(createAnswer(edit(edit(asteriskOffer, 'a=maxptime', 'a=maxptime:10'), 'a=ptime', 'a=ptime:10'), local));
    expect(r.negotiated.ptime).toBe(10);
    expect(r.negotiated.notes.join(' ')).toMatch(/maxptime is 10 ms/);
    expect(parse(r.sdp).media[0].ptime).toBe(10);
  });

  it('picks a legal Opus frame size under a small maxptime', () => {
    const r = ok(createAnswer(opusOnlyOffer.replace('a=fmtp:100', 'a=maxptime:15\r\na=fmtp:100'), { ...local, codecs: ['opus'] }));
    expect(r.negotiated.ptime).toBe(10);
  });
});

describe('createAnswer: bad input from the network', () => {
  it.each([
    ['an empty body', ''],
    ['plain garbage', 'hello world'],
    ['no v= line', asteriskOffer.replace('v=0\r\n', '')],
    ['an m= line with a bad port', edit(asteriskOffer, 'm=audio', 'm=audio 99999 RTP/AVP 0')],
    ['a host name instead of an address', edit(asteriskOffer, 'c=', 'c=IN IP4 pbx.example.com')],
    ['no c= line at all', edit(asteriskOffer, 'c=', null)],
    ['no m= line', asteriskOffer.split('m=audio')[0]],
  ])('returns a reason instead of throwing for %s', (_label, text) => {
    const r = createAnswer(text, local);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason.length).toBeGreaterThan(5);
      expect([400, 488]).toContain(r.status);
    }
  });

  it('refuses unusable local options with a PortierError (config, not network input)', () => {
    expect(() => createAnswer(asteriskOffer, { ...local, address: 'not-an-ip' })).toThrowError(/not an IP address/);
  });

  it('never throws on arbitrary text or on a valid offer with random lines changed', () => {
    const lines = asteriskOffer.split('\r\n');
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        expect(() => createAnswer(s, local)).not.toThrow();
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat(lines.length - 1), fc.string({ maxLength: 40 }), (i, junk) => {
        const mutated = [...lines];
        mutated[i] = mutated[i].slice(0, 2) + junk;
        const r = createAnswer(mutated.join('\r\n'), local);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});
