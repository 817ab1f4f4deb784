import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../../daemon/sip/types.js';
import { run, world } from './harness.js';

const DOOR: Endpoint = { transport: 'udp', address: '10.0.0.10', port: 5060 };
const SRC: Endpoint = { transport: 'udp', address: '10.0.0.20', port: 5060 };

const INVITE = [
  'INVITE sip:door@10.0.0.10 SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.20:5060;branch=z9hG4bK-r1;rport',
  'From: "Flat" <sip:flat@10.0.0.20>;tag=f1',
  'To: <sip:door@10.0.0.10>',
  'Call-ID: rob-1',
  'CSeq: 1 INVITE',
  'Contact: <sip:flat@10.0.0.20>',
  'Max-Forwards: 70',
  'Content-Type: application/sdp',
  'Session-Expires: 1800;refresher=uac',
  'Require: timer',
  'Content-Length: 4',
  '',
  'v=0\n',
].join('\r\n');

describe('robustness', () => {
  it('never throws on random bytes or mutated INVITEs, and keeps answering afterwards', async () => {
    const w = world();
    const door = w.make('10.0.0.10', { allowedSources: ['10.0.0.0/24'] });
    door.on('incoming', (c) => {
      c.ring();
      c.accept('v=0\r\n');
    });
    const base = new TextEncoder().encode(INVITE);
    let n = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }).map((flips) => {
            const b = base.slice();
            for (const [i, v] of flips) b[i] = v;
            return b;
          }),
        ),
        (bytes) => {
          const from = { ...SRC, port: 10000 + (n++ % 5000) };
          expect(() => door.layer.receive(bytes, from, DOOR, door.layer.transports[0])).not.toThrow();
        },
      ),
      { numRuns: 400 },
    );
    await run(w.clock, 40_000, 1000);
    // still alive: an OPTIONS gets its 200
    w.net.inject({ ...SRC, port: 4999 }, DOOR,
      'OPTIONS sip:door@10.0.0.10 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.20:4999;branch=z9hG4bK-alive\r\nFrom: <sip:x@10.0.0.20>;tag=1\r\nTo: <sip:door@10.0.0.10>\r\nCall-ID: alive\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
    await run(w.clock, 5);
    expect(w.net.packets.some((p) => p.to.port === 4999 && p.text.startsWith('SIP/2.0 200'))).toBe(true);
  });
});
