import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAnswer, createOffer, parseAnswer } from '../../daemon/sdp/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/sdp/${name}`, import.meta.url), 'utf8');

describe('SDP from a real baresip 1.0.0', () => {
  it('our offer is byte-for-byte what was sent to baresip in the capture', () => {
    const o = createOffer({ codecs: ['g722', 'opus', 'pcmu', 'pcma'], address: '127.0.0.1', port: 26000, session: { id: '1000', version: 1 } });
    expect(o.sdp).toBe(fixture('portier-offer-to-baresip.sdp'));
  });

  it('reads baresip\'s answer to our offer: G.722 on PT 9, telephone-event 101/8000, its RTP port', () => {
    const o = createOffer({ codecs: ['g722', 'opus', 'pcmu', 'pcma'], address: '127.0.0.1', port: 26000, session: { id: '1000', version: 1 } });
    const r = parseAnswer(fixture('baresip-1.0.0-answer.sdp'), o);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.negotiated).toMatchObject({
      codec: 'g722',
      payloadType: 9,
      clockRate: 8000,
      telephoneEvent: { payloadType: 101, clockRate: 8000 },
      remoteAddress: '127.0.0.1',
      remotePort: 25100,
      remoteRtcp: { address: '127.0.0.1', port: 25101 },
      direction: 'sendrecv',
      ptime: 20,
    });
  });

  it('answers baresip\'s offer with Opus on its PT 96 when Opus is our first choice (its telephone-event/8000 taken, noted)', () => {
    const r = createAnswer(fixture('baresip-1.0.0-offer.sdp'), { codecs: ['opus', 'g722'], address: '127.0.0.1', port: 26002 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.negotiated).toMatchObject({ codec: 'opus', payloadType: 96, remotePort: 25102 });
    expect(r.negotiated.fmtp).toMatchObject({ stereo: '1', maxaveragebitrate: '32000' });
    expect(r.negotiated.telephoneEvent).toMatchObject({ clockRate: 8000 });
    expect(r.negotiated.notes.join(' ')).toMatch(/telephone-event only at 8000 Hz/);
  });

  it('answers baresip\'s offer with PCMU and telephone-event when we prefer G.711', () => {
    const r = createAnswer(fixture('baresip-1.0.0-offer.sdp'), { codecs: ['pcmu'], address: '127.0.0.1', port: 26002 });
    expect(r.ok && r.negotiated).toMatchObject({ codec: 'pcmu', payloadType: 0, telephoneEvent: { payloadType: 101, clockRate: 8000 } });
  });
});
