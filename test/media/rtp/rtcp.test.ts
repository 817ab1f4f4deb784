import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildBye,
  buildRr,
  buildSdes,
  buildSr,
  concatPackets,
  msToNtp,
  ntpMiddle,
  parseRtcp,
  roundTripMs,
  RtcpSession,
  type ReportBlock,
} from '../../../daemon/media/rtcp.js';
import type { ReceptionReport } from '../../../daemon/media/rtp-session.js';
import { FakeClock } from '../../support/fake-clock.js';

const block: ReportBlock = {
  ssrc: 0xabcdef01,
  fractionLost: 25,
  cumulativeLost: -3,
  extendedMaxSeq: 70000,
  jitter: 42,
  lsr: 0x12345678,
  dlsr: 65536,
};

describe('rtcp packets', () => {
  it('round-trips a compound SR + SDES CNAME + BYE', () => {
    const sr = buildSr(0x11, { ntpSec: 3900000000, ntpFrac: 0x80000000, rtpTimestamp: 123456, packetCount: 50, octetCount: 8000 }, [block]);
    const buf = concatPackets([sr, buildSdes(0x11, 'door@portier'), buildBye(0x11, 'hangup')]);
    const r = parseRtcp(buf);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.packets).toEqual([
      { type: 'sr', ssrc: 0x11, sender: { ntpSec: 3900000000, ntpFrac: 0x80000000, rtpTimestamp: 123456, packetCount: 50, octetCount: 8000 }, reports: [block] },
      { type: 'sdes', chunks: [{ ssrc: 0x11, cname: 'door@portier' }] },
      { type: 'bye', ssrcs: [0x11], reason: 'hangup' },
    ]);
  });

  it('round-trips an RR without report blocks (nothing received yet)', () => {
    const r = parseRtcp(concatPackets([buildRr(7), buildSdes(7, 'x')]));
    expect(r.ok && r.packets[0]).toEqual({ type: 'rr', ssrc: 7, reports: [] });
  });

  it('SDES chunks are padded to 32 bits for every CNAME length', () => {
    for (let n = 0; n < 12; n++) {
      const sdes = buildSdes(1, 'a'.repeat(n));
      expect(sdes.length % 4).toBe(0);
      const r = parseRtcp(sdes);
      expect(r.ok && r.packets[0]).toEqual({ type: 'sdes', chunks: [{ ssrc: 1, cname: 'a'.repeat(n) }] });
    }
  });

  const garbage: [string, Uint8Array, string][] = [
    ['too short', new Uint8Array([0x80, 200, 0]), 'too-short'],
    ['wrong version', new Uint8Array([0x40, 201, 0, 1, 0, 0, 0, 1]), 'bad-version'],
    ['length past the end', new Uint8Array([0x80, 201, 0, 9, 0, 0, 0, 1]), 'length-past-end'],
    ['report count past the end', new Uint8Array([0x82, 201, 0, 1, 0, 0, 0, 1]), 'bad-report-count'],
    ['padding larger than the packet', new Uint8Array([0xa0, 201, 0, 1, 0, 0, 0, 200]), 'bad-padding'],
  ];
  for (const [name, buf, reason] of garbage) {
    it(`rejects ${name} (${reason})`, () => {
      expect(parseRtcp(buf)).toEqual({ ok: false, reason });
    });
  }

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        parseRtcp(bytes);
        // version-2 headers make it past the first check more often
        if (bytes.length > 0) parseRtcp(new Uint8Array([0x80 | (bytes[0] & 0x3f), ...bytes.subarray(1)]));
      }),
      { numRuns: 3000 },
    );
  });

  it('computes RTT as A - LSR - DLSR (RFC 3550 6.4.1 example)', () => {
    // the RFC's example: A = 0xb710:8000 (46864.5 s), LSR = 0xb705:2000 (46853.125 s), DLSR = 0x0005:4000 (5.25 s)
    expect(roundTripMs(0xb7108000, 0xb7052000, 0x00054000)).toBeCloseTo(6125, 6);
    expect(roundTripMs(0xb7108000, 0, 0)).toBeNull();
  });

  it('NTP middle 32 bits of a wall-clock time', () => {
    const ntp = msToNtp(1_000_000_500);
    expect(ntp.frac / 0x100000000).toBeCloseTo(0.5, 6);
    expect(ntpMiddle(ntp.sec, ntp.frac) & 0xffff).toBe(0x8000);
  });
});

describe('rtcp session', () => {
  function pair(delayMs: number) {
    const clock = new FakeClock(1000);
    const wall = () => 1_700_000_000_000 + clock.now();
    const rr: ReceptionReport = { ssrc: 0, fractionLost: 0, cumulativeLost: 0, extendedMaxSeq: 100, jitter: 3 };
    // eslint-disable-next-line prefer-const
    let a: RtcpSession, b: RtcpSession;
    const deliver = (to: () => RtcpSession) => (buf: Uint8Array) => clock.setTimeout(() => to().receive(buf), delayMs);
    a = new RtcpSession({
      clock,
      cname: 'a',
      ssrc: 0xa,
      send: deliver(() => b),
      receptionReport: () => ({ ...rr, ssrc: 0xb }),
      senderInfo: () => ({ rtpTimestamp: 0, packetCount: 10, octetCount: 1600 }),
      wallClockMs: wall,
    });
    b = new RtcpSession({
      clock,
      cname: 'b',
      ssrc: 0xb,
      send: deliver(() => a),
      receptionReport: () => ({ ...rr, ssrc: 0xa, fractionLost: 64 }),
      senderInfo: () => ({ rtpTimestamp: 0, packetCount: 10, octetCount: 1600 }),
      wallClockMs: wall,
    });
    return { clock, a, b };
  }

  it('sends reports at randomised intervals around 5 s (0.5..1.5 x 5 s / 1.218)', () => {
    const clock = new FakeClock();
    const times: number[] = [];
    const s = new RtcpSession({
      clock,
      cname: 'x',
      ssrc: 1,
      send: () => times.push(clock.now()),
      receptionReport: () => null,
      senderInfo: () => null,
    });
    s.start();
    clock.advance(120_000);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(times[0]).toBeLessThan(2500 * 1.5 / 1.21828 + 1);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual((5000 * 0.5) / 1.21828 - 1);
      expect(g).toBeLessThanOrEqual((5000 * 1.5) / 1.21828 + 1);
    }
    expect(gaps.length).toBeGreaterThan(15);
    s.stop();
    expect(clock.pending).toBe(0);
  });

  it('measures the round-trip time from SR/RR exchange', () => {
    const { clock, a, b } = pair(40);
    a.start();
    b.start();
    clock.advance(20_000);
    expect(a.stats().rttMs).not.toBeNull();
    expect(a.stats().rttMs!).toBeCloseTo(80, -0.5);
    expect(b.stats().rttMs!).toBeCloseTo(80, -0.5);
    expect(a.stats().remoteCname).toBe('b');
    // b reports 64/256 loss of a's stream
    expect(a.stats().remoteFractionLost).toBe(0.25);
  });

  it('counts garbage without throwing and reports BYE', () => {
    const { a, clock } = pair(0);
    const byes: unknown[] = [];
    a.on('bye', (e) => byes.push(e));
    a.receive(new Uint8Array([1, 2, 3]));
    a.receive(new Uint8Array(100).fill(0xff));
    expect(a.stats().malformed).toBe(2);
    a.receive(concatPackets([buildRr(0xb), buildBye(0xb, 'bye')]));
    expect(byes).toEqual([{ ssrc: 0xb, reason: 'bye' }]);
    expect(a.stats().byeReceived).toBe(true);
    expect(clock.pending).toBe(0);
  });
});
