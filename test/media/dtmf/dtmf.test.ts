import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DtmfReceiver,
  DtmfSender,
  parseDtmfInfo,
  parseTelephoneEvent,
  serializeTelephoneEvent,
} from '../../../daemon/media/dtmf.js';
import { parseRtp, type RtpPacket } from '../../../daemon/media/rtp-packet.js';

/** RTP packets from a classic pcap of Ethernet/IPv4/UDP frames (sipp's bundled DTMF captures). */
function readPcapRtp(name: string): RtpPacket[] {
  const buf = readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)));
  const out: RtpPacket[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const incl = buf.readUInt32LE(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const ihl = (frame[14] & 0x0f) * 4;
    const r = parseRtp(new Uint8Array(frame.subarray(14 + ihl + 8)));
    if (r.ok) out.push(r.packet);
  }
  return out;
}

function ev(ts: number, event: number, end: boolean, duration: number, marker = false, ssrc = 1) {
  return { ssrc, timestamp: ts, marker, payload: serializeTelephoneEvent({ event, end, volume: 10, duration }) };
}

describe('RFC 4733 receive', () => {
  it('reports one "5" for sipp\'s capture of a key press (start, updates, three ends)', () => {
    const pkts = readPcapRtp('dtmf_2833_5.pcap');
    expect(pkts.length).toBe(10);
    const r = new DtmfReceiver();
    const digits = pkts.map((p) => r.receive(p)).filter((d) => d !== null);
    expect(digits).toEqual([{ digit: '5', via: 'rfc4733', durationMs: undefined }]);
    expect(r.stats().repeats).toBe(9);
  });

  it('reports "#" for the pound capture', () => {
    const r = new DtmfReceiver();
    const digits = readPcapRtp('dtmf_2833_pound.pcap').map((p) => r.receive(p)?.digit).filter(Boolean);
    expect(digits).toEqual(['#']);
  });

  it('one digit per key press when the start packet has no marker bit', () => {
    const r = new DtmfReceiver();
    const out = [ev(800, 1, false, 160), ev(800, 1, false, 320), ev(800, 1, true, 640), ev(800, 1, true, 640), ev(800, 1, true, 640)].map((p) =>
      r.receive(p),
    );
    expect(out.filter(Boolean).map((d) => d!.digit)).toEqual(['1']);
  });

  it('a lost start (first packet already has E) still gives the digit once', () => {
    const r = new DtmfReceiver();
    const out = [ev(1600, 9, true, 800), ev(1600, 9, true, 800), ev(1600, 9, true, 800)].map((p) => r.receive(p));
    expect(out.filter(Boolean)).toEqual([{ digit: '9', via: 'rfc4733', durationMs: 100 }]);
  });

  it('the same digit twice is two presses (new timestamp = new event)', () => {
    const r = new DtmfReceiver();
    const seq = [ev(0, 4, false, 0, true), ev(0, 4, true, 800), ev(0, 4, true, 800), ev(2000, 4, false, 0, true), ev(2000, 4, true, 800)];
    expect(seq.map((p) => r.receive(p)?.digit).filter(Boolean)).toEqual(['4', '4']);
  });

  it('ignores a late retransmission of an earlier event', () => {
    const r = new DtmfReceiver();
    const seq = [ev(0, 1, true, 800, true), ev(2000, 2, true, 800, true), ev(0, 1, true, 800), ev(2000, 2, true, 800)];
    expect(seq.map((p) => r.receive(p)?.digit).filter(Boolean)).toEqual(['1', '2']);
  });

  it('maps events 10-15 to *, #, A-D and ignores other events (e.g. 16 flash)', () => {
    const r = new DtmfReceiver();
    const digits = [10, 11, 12, 13, 14, 15, 16].map((code, i) => r.receive(ev(i * 1000, code, true, 800, true))?.digit ?? null);
    expect(digits).toEqual(['*', '#', 'A', 'B', 'C', 'D', null]);
    expect(r.stats().unsupported).toBe(1);
  });

  it('a long event split into segments (RFC 4733 2.5.1.3) is one press', () => {
    const r = new DtmfReceiver();
    const seq = [ev(0, 7, false, 0, true), ev(0, 7, false, 0xffff), ev(0xffff, 7, false, 800), ev(0xffff, 7, true, 1600)];
    expect(seq.map((p) => r.receive(p)?.digit).filter(Boolean)).toEqual(['7']);
  });

  it('counts truncated payloads as malformed, without throwing', () => {
    const r = new DtmfReceiver();
    expect(r.receive({ ssrc: 1, timestamp: 0, marker: true, payload: new Uint8Array([5, 0]) })).toBeNull();
    expect(r.stats().malformed).toBe(1);
    expect(parseTelephoneEvent(new Uint8Array(0))).toEqual({ ok: false, reason: 'too-short' });
  });
});

describe('RFC 4733 send', () => {
  it('sends marker first, growing duration every 50 ms (on the next 20 ms tick), then three identical end packets', () => {
    const s = new DtmfSender({ packetIntervalMs: 50, durationMs: 200 });
    expect(s.send('5')).toEqual({ ok: true });
    const ticks: { marker: boolean; ev: ReturnType<typeof parseTelephoneEvent>; ts: number }[][] = [];
    for (let i = 0; i < 15; i++) {
      ticks.push(s.tick(20, 1000 + i * 160).map((p) => ({ marker: p.marker, ev: parseTelephoneEvent(p.payload), ts: p.timestamp })));
    }
    const flat = ticks.flat();
    expect(flat.every((p) => p.ts === 1000)).toBe(true);
    expect(flat[0].marker).toBe(true);
    expect(flat.slice(1).every((p) => !p.marker)).toBe(true);
    const values = flat.map((p) => (p.ev.ok ? p.ev.value : null)!);
    expect(values.every((v) => v.event === 5)).toBe(true);
    expect(values.map((v) => v.duration)).toEqual([0, 480, 960, 1440, 1600, 1600, 1600]);
    expect(values.map((v) => v.end)).toEqual([false, false, false, false, true, true, true]);
    // the three ends go out on one tick
    expect(ticks.map((t) => t.length)).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 3, 0, 0, 0, 0]);
    expect(s.busy).toBe(false);
  });

  it('sends updates every 20 ms when asked and round-trips through the receiver', () => {
    const s = new DtmfSender({ packetIntervalMs: 20, durationMs: 100, gapMs: 60 });
    s.send('1#');
    const r = new DtmfReceiver();
    const got: string[] = [];
    let ts = 0;
    let count = 0;
    for (let i = 0; i < 40; i++) {
      for (const p of s.tick(20, ts)) {
        count++;
        const d = r.receive({ ssrc: 5, ...p });
        if (d) got.push(d.digit);
      }
      ts += 160;
    }
    expect(got).toEqual(['1', '#']);
    // per digit: start + 4 updates + 3 ends
    expect(count).toBe(16);
    expect(s.pending).toBe(0);
  });

  it('rejects a string with a non-DTMF character and queues nothing', () => {
    const s = new DtmfSender();
    expect(s.send('12x').ok).toBe(false);
    expect(s.pending).toBe(0);
  });
});

describe('SIP INFO bodies', () => {
  const cases: [string, string, string | null, number | undefined][] = [
    ['application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n', '5', 160],
    ['application/dtmf-relay', 'Signal= *\nDuration= 250', '*', 250],
    ['application/dtmf-relay', 'signal=#', '#', undefined],
    ['application/dtmf-relay', 'Signal=11\r\nDuration=100', '#', 100],
    ['application/dtmf-relay; charset=utf-8', 'Signal=a\r\n', 'A', undefined],
    ['application/dtmf', '5', '5', undefined],
    ['application/dtmf', ' 10\r\n', '*', undefined],
    ['application/dtmf-relay', 'Duration=160', null, undefined],
    ['application/dtmf-relay', 'Signal=Z', null, undefined],
    ['application/dtmf', '', null, undefined],
    ['text/plain', '5', null, undefined],
  ];
  for (const [type, body, digit, duration] of cases) {
    it(`${type} ${JSON.stringify(body)} -> ${digit ?? 'rejected'}`, () => {
      const r = parseDtmfInfo(type, body);
      if (digit === null) expect(r.ok).toBe(false);
      else expect(r).toEqual({ ok: true, event: { digit, via: 'info', durationMs: duration } });
    });
  }

  it('accepts a Uint8Array body', () => {
    expect(parseDtmfInfo('application/dtmf-relay', new TextEncoder().encode('Signal=0\r\nDuration=80'))).toEqual({
      ok: true,
      event: { digit: '0', via: 'info', durationMs: 80 },
    });
  });
});

describe('RFC 4733 over a bad network (property)', () => {
  it('yields each key press at most once, in order, and every press whose packets are not all lost', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...'0123456789*#ABCD'.split('')), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 200, maxLength: 200 }),
        (digits, fate) => {
          const s = new DtmfSender({ packetIntervalMs: 20, durationMs: 100, gapMs: 40 });
          s.send(digits.join(''));
          // generate the packet stream, then lose (fate 0), duplicate (fate 1) or delay by one (fate 2)
          const sent: { ssrc: number; timestamp: number; marker: boolean; payload: Uint8Array }[][] = [];
          let ts = 0;
          for (let i = 0; i < 200 && s.pending > 0; i++, ts += 160) sent.push(s.tick(20, ts).map((p) => ({ ssrc: 1, ...p })));
          const flat = sent.flat();
          const delivered: typeof flat = [];
          let held: (typeof flat)[number] | null = null;
          flat.forEach((p, i) => {
            const f = fate[i % fate.length];
            if (f === 0) return;
            if (f === 2 && !held) {
              held = p;
              return;
            }
            delivered.push(p);
            if (f === 1) delivered.push(p);
            if (held) {
              delivered.push(held);
              held = null;
            }
          });
          if (held) delivered.push(held);
          const r = new DtmfReceiver();
          const got = delivered.map((p) => r.receive(p)?.digit).filter((d): d is NonNullable<typeof d> => !!d);
          // which presses had at least one packet delivered
          const eventTs = [...new Set(flat.map((p) => p.timestamp))];
          const survived = eventTs.map((t, i) => (delivered.some((p) => p.timestamp === t) ? digits[i] : null)).filter((d) => d !== null);
          expect(got).toEqual(survived);
        },
      ),
      { numRuns: 300 },
    );
  });
});
