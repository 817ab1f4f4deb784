import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CodecName } from '../../daemon/media/types.js';
import { createAnswer, createOffer, parseAnswer, type Direction } from '../../daemon/sdp/index.js';

const codecs = fc.uniqueArray(fc.constantFrom<CodecName>('pcmu', 'pcma', 'g722', 'opus'), { minLength: 1, maxLength: 4 });
const direction = fc.constantFrom<Direction>('sendrecv', 'sendonly', 'recvonly', 'inactive');
const canSend = (d: Direction) => d === 'sendrecv' || d === 'sendonly';
const canRecv = (d: Direction) => d === 'sendrecv' || d === 'recvonly';

describe('offer -> answer -> parseAnswer, for any codec lists and directions', () => {
  it('both sides agree on codec, payload type, telephone-event and mirrored directions, or the answer is a 488', () => {
    fc.assert(
      fc.property(codecs, codecs, direction, direction, fc.boolean(), (ours, theirs, dOffer, dAnswer, v6) => {
        const offer = createOffer({ codecs: ours, address: v6 ? '2001:db8::1' : '10.0.0.1', port: 4000, direction: dOffer });
        const ans = createAnswer(offer.sdp, { codecs: theirs, address: '10.0.0.2', port: 5000, direction: dAnswer });
        const common = theirs.filter((c) => ours.includes(c));
        if (common.length === 0) {
          expect(ans.ok).toBe(false);
          if (!ans.ok) expect(ans.status).toBe(488);
          return;
        }
        expect(ans.ok).toBe(true);
        if (!ans.ok) return;
        // the answerer picks by its own preference among the offered codecs
        expect(ans.negotiated.codec).toBe(common[0]);
        const back = parseAnswer(ans.sdp, offer);
        expect(back.ok).toBe(true);
        if (!back.ok) return;
        const a = ans.negotiated;
        const o = back.negotiated;
        expect(o.codec).toBe(a.codec);
        expect(o.payloadType).toBe(a.payloadType);
        expect(o.clockRate).toBe(a.clockRate);
        expect(o.telephoneEvent).toEqual(a.telephoneEvent);
        if (a.telephoneEvent) expect(a.telephoneEvent.clockRate).toBe(a.clockRate);
        // whatever one side may send, the other may receive, and no side exceeds what it asked for
        expect(canSend(o.direction)).toBe(canRecv(a.direction));
        expect(canSend(a.direction)).toBe(canRecv(o.direction));
        if (canSend(o.direction)) expect(canSend(dOffer)).toBe(true);
        if (canSend(a.direction)) expect(canSend(dAnswer)).toBe(true);
        expect(o.remotePort).toBe(5000);
        expect(a.remotePort).toBe(4000);
      }),
      { numRuns: 300 },
    );
  });
});
