import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { looksLikeRtcp, parseRtp, serializeRtp } from '../../../daemon/media/rtp-packet.js';

function hdr(b0: number, b1 = 0, extra: number[] = []): Uint8Array {
  return new Uint8Array([b0, b1, 0x12, 0x34, 0, 0, 0x03, 0x20, 0xde, 0xad, 0xbe, 0xef, ...extra]);
}

describe('rtp packet', () => {
  it('round-trips header fields and payload', () => {
    const payload = new Uint8Array([1, 2, 3, 4, 5]);
    const buf = serializeRtp({ marker: true, payloadType: 0, seq: 0xfffe, timestamp: 0xfffffff0, ssrc: 0x80000001 }, payload);
    const r = parseRtp(buf);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.packet).toMatchObject({ marker: true, payloadType: 0, seq: 0xfffe, timestamp: 0xfffffff0, ssrc: 0x80000001 });
    expect([...r.packet.payload]).toEqual([1, 2, 3, 4, 5]);
  });

  it('payload is a view on the input, not a copy', () => {
    const buf = serializeRtp({ marker: false, payloadType: 8, seq: 1, timestamp: 2, ssrc: 3 }, new Uint8Array(160));
    const r = parseRtp(buf);
    if (!r.ok) throw new Error('parse failed');
    expect(r.packet.payload.buffer).toBe(buf.buffer);
    expect(r.packet.payload.byteOffset).toBe(12);
  });

  const bad: [string, Uint8Array, string][] = [
    ['shorter than the fixed header', new Uint8Array([0x80, 0, 0, 1]), 'too-short'],
    ['version 1', hdr(0x40), 'bad-version'],
    ['version 0', hdr(0x00), 'bad-version'],
    ['CSRC count past the end', hdr(0x83, 0, [0, 0, 0, 1]), 'csrc-past-end'],
    ['extension header cut off', hdr(0x90, 0, [0xbe, 0xde]), 'extension-past-end'],
    ['extension length past the end', hdr(0x90, 0, [0xbe, 0xde, 0, 2, 1, 2, 3, 4]), 'extension-past-end'],
    ['padding count past the end', hdr(0xa0, 0, [1, 2, 40]), 'padding-past-end'],
    ['padding count zero', hdr(0xa0, 0, [1, 2, 0]), 'padding-past-end'],
    ['RTCP SR in the RTP stream', hdr(0x80, 200), 'looks-like-rtcp'],
  ];
  for (const [name, buf, reason] of bad) {
    it(`rejects ${name} with reason ${reason}`, () => {
      const r = parseRtp(buf);
      expect(r).toEqual({ ok: false, reason });
    });
  }

  it('skips a header extension and CSRCs and strips padding', () => {
    // CC=1, X=1, P=1: csrc, extension of 1 word, payload 2 bytes, padding 2 bytes
    const buf = hdr(0xb1, 0x80 | 96, [0, 0, 0, 9, 0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0, 0x55, 0x66, 0, 2]);
    const r = parseRtp(buf);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.packet.csrcs).toEqual([9]);
    expect(r.packet.extensionProfile).toBe(0xbede);
    expect([...r.packet.extension!]).toEqual([0x10, 0xaa, 0, 0]);
    expect([...r.packet.payload]).toEqual([0x55, 0x66]);
    expect(r.packet.marker).toBe(true);
    expect(r.packet.payloadType).toBe(96);
  });

  it('tells RTCP from RTP by the packet type byte (RFC 5761 4)', () => {
    expect(looksLikeRtcp(new Uint8Array([0x80, 201]))).toBe(true);
    expect(looksLikeRtcp(new Uint8Array([0x80, 0x80 | 101]))).toBe(false);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const r = parseRtp(bytes);
        if (r.ok) expect(r.packet.payload.length).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('parse(serialize(h, p)) returns h and p for any header', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 96, max: 127 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.uint8Array({ maxLength: 64 }),
        (marker, payloadType, seq, timestamp, ssrc, payload) => {
          const r = parseRtp(serializeRtp({ marker, payloadType, seq, timestamp, ssrc }, payload));
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          expect(r.packet).toMatchObject({ marker, payloadType, seq, timestamp, ssrc });
          expect([...r.packet.payload]).toEqual([...payload]);
        },
      ),
      { numRuns: 500 },
    );
  });
});
