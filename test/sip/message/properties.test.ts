import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseChallenge, parseCredentials } from '../../../daemon/sip/digest.js';
import { parseNameAddr, splitList } from '../../../daemon/sip/name-addr.js';
import { parseMessage } from '../../../daemon/sip/parser.js';
import { serializeMessage } from '../../../daemon/sip/serializer.js';
import { StreamFramer } from '../../../daemon/sip/stream-framer.js';
import type { Header, NameAddr, Params, SipMessage, SipUri, Via } from '../../../daemon/sip/types.js';
import { parseUri } from '../../../daemon/sip/uri.js';
import { parseVia } from '../../../daemon/sip/via.js';
import { PortierError } from '../../../daemon/util/errors.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/rfc4475');
const FIXTURES = readdirSync(DIR).filter((f) => f.endsWith('.dat')).map((f) => readFileSync(join(DIR, f)));

const chars = (set: string, min = 1, max = 12) =>
  fc.array(fc.constantFrom(...set), { minLength: min, maxLength: max }).map((a) => a.join(''));

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = LOWER + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const TOKEN = ALNUM + "-.!%*_+`'~";
const USER = ALNUM + "-_.!~*'()&=+$,;?/";
const PARAM = ALNUM + "-_.!~*'()[]/:&+$";

// names start with a letter: integer-like keys would be reordered by JS objects
const lowerName = fc.tuple(fc.constantFrom(...LOWER), chars(LOWER + '0123456789-', 0, 8)).map(([a, b]) => a + b);
const token = chars(TOKEN);
const host = fc.oneof(
  fc.array(chars(ALNUM, 1, 8), { minLength: 1, maxLength: 3 }).map((l) => l.join('.')),
  fc.ipV4(),
  fc.ipV6().map((v) => `[${v}]`),
);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const escaped = fc.integer({ min: 0, max: 255 }).map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0'));
const user = fc.array(fc.oneof(chars(USER, 1, 6), escaped), { minLength: 1, maxLength: 4 }).map((a) => a.join(''));

const uriParams: fc.Arbitrary<Params> = fc.dictionary(lowerName, fc.option(chars(PARAM, 1, 10), { nil: null }), { maxKeys: 3 });
const sipUri: fc.Arbitrary<SipUri> = fc.record({
  scheme: fc.constantFrom('sip' as const, 'sips' as const),
  user: fc.option(user, { nil: undefined }),
  host,
  port,
  params: uriParams,
}).map((u) => {
  const out: SipUri = { scheme: u.scheme, host: u.host, params: u.params, headers: {} };
  if (u.user !== undefined) out.user = u.user;
  if (u.port !== undefined) out.port = u.port;
  return out;
});

const quoted = fc.string({ unit: 'grapheme', maxLength: 10 })
  .filter((s) => !/[\r\n\0]/.test(s))
  .map((s) => '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"');
const headerParams: fc.Arbitrary<Params> = fc.dictionary(
  lowerName, fc.option(fc.oneof(token, quoted), { nil: null }), { maxKeys: 3 },
);
const displayName = fc.option(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 }).filter((s) => !/[\r\n\0]/.test(s)),
  { nil: undefined },
);
const nameAddr: fc.Arbitrary<NameAddr> = fc.record({ displayName, uri: sipUri, params: headerParams }).map((n) => {
  const out: NameAddr = { uri: n.uri, params: n.params };
  if (n.displayName !== undefined) out.displayName = n.displayName;
  return out;
});
const via: fc.Arbitrary<Via> = fc.record({
  transport: fc.constantFrom('UDP', 'TCP', 'TLS', 'WS', 'SCTP'), host, port,
  params: fc.record({ branch: chars(ALNUM, 1, 12).map((b) => 'z9hG4bK' + b) }),
}).map((v) => {
  const out: Via = { transport: v.transport, host: v.host, params: v.params };
  if (v.port !== undefined) out.port = v.port;
  return out;
});
const callId = fc.tuple(chars(ALNUM + "-.!%*_+`'~()<>:\\\"/[]?{}", 1, 20), fc.option(chars(ALNUM + '.', 1, 10), { nil: undefined }))
  .map(([a, b]) => (b ? `${a}@${b}` : a));
const headerValue = fc.string({ unit: 'grapheme', maxLength: 30 })
  .map((s) => s.replace(/[\r\n\0]/g, '').trim());
const extHeader: fc.Arbitrary<Header> = fc.record({ name: chars(ALNUM, 1, 10).map((n) => 'X-' + n), value: headerValue });
const body = fc.uint8Array({ maxLength: 64 });

const message: fc.Arbitrary<SipMessage> = fc.record({
  request: fc.boolean(), method: chars(ALNUM + "-.!%*_+`'~", 1, 10), uri: sipUri,
  status: fc.integer({ min: 100, max: 699 }),
  reason: fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => s.replace(/[\r\n\0]/g, '')),
  via: fc.array(via, { minLength: 1, maxLength: 3 }), from: nameAddr, to: nameAddr, callId,
  seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }), headers: fc.array(extHeader, { maxLength: 5 }), body,
}).map((m) => {
  const base = { version: 'SIP/2.0', via: m.via, from: m.from, to: m.to, callId: m.callId, headers: m.headers, body: m.body };
  return m.request
    ? { kind: 'request' as const, method: m.method, uri: m.uri, cseq: { seq: m.seq, method: m.method }, ...base }
    : { kind: 'response' as const, status: m.status, reason: m.reason, cseq: { seq: m.seq, method: m.method }, ...base };
});

/** random edits of a valid message: flipped bytes, inserted grammar characters, cuts */
const mutated = fc.tuple(
  fc.constantFrom(...FIXTURES),
  fc.array(fc.tuple(fc.nat(), fc.constantFrom(0, 0, 1, 1, 2, 2, 3), fc.constantFrom(...Buffer.from('\r\n:;,<>"\\ \t%@=/0\x00\xff'))), { minLength: 1, maxLength: 4 }),
).map(([src, edits]) => {
  let b = Buffer.from(src);
  for (const [pos, kind, byte] of edits) {
    const at = pos % (b.length + 1);
    if (kind === 0 && at < b.length) b[at] = byte;
    else if (kind === 1) b = Buffer.concat([b.subarray(0, at), Buffer.of(byte), b.subarray(at)]);
    else if (kind === 2) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    else b = b.subarray(0, at);
  }
  return b;
});

function checkResult(data: Uint8Array | string): void {
  const r = parseMessage(data);
  expect(typeof r.ok).toBe('boolean');
  if (!r.ok) {
    expect(r.reason.length).toBeGreaterThan(0);
    return;
  }
  // what parses either serializes and parses again, or is refused with a PortierError
  let out: Buffer;
  try {
    out = serializeMessage(r.message);
  } catch (err) {
    expect(err).toBeInstanceOf(PortierError);
    return;
  }
  const again = parseMessage(out);
  if (!again.ok) throw new Error(`re-parse failed: ${again.reason}\n${out.toString()}`);
}

describe('SIP message properties', () => {
  it('parse(serialize(m)) equals m for generated requests and responses', () => {
    fc.assert(fc.property(message, (m) => {
      const r = parseMessage(serializeMessage(m));
      if (!r.ok) throw new Error(r.reason);
      expect(r.message).toEqual(m);
    }), { numRuns: 400 });
  });

  it('never throws on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => checkResult(b)), { numRuns: 500 });
  });

  it('never throws on random text built from SIP grammar characters', () => {
    const sipish = chars('SIP/2.0 INVITE sip:@;,<>"\\\r\n\t:=%?&ab1Via:From:To:CSeq:Call-ID:Content-Length:l:', 0, 300);
    fc.assert(fc.property(sipish, (s) => checkResult(s)), { numRuns: 500 });
  });

  it('never throws on mutated torture messages, and what it accepts round-trips', () => {
    fc.assert(fc.property(mutated, (b) => checkResult(b)), { numRuns: 600 });
  });

  it('header grammar helpers never throw on arbitrary strings', () => {
    const text = chars(ALNUM + ' \t\r\n\0"\\<>;,=:@?&%[]/éü€\u{1F600}\x7f', 0, 80);
    fc.assert(fc.property(text, (s) => {
      for (const r of [parseUri(s), parseNameAddr(s), parseVia(s), parseChallenge(s), parseCredentials(s)]) {
        expect(typeof r.ok).toBe('boolean');
      }
      expect(Array.isArray(splitList(s))).toBe(true);
    }), { numRuns: 500 });
  });

  it('the stream framer returns the same messages however the stream is cut', () => {
    const stream = Buffer.concat(FIXTURES.filter((f) => {
      const r = parseMessage(f);
      return r.ok && /content-length|\r\nl:/i.test(f.toString('latin1').split('\r\n\r\n')[0]);
    }).slice(0, 6).map((f) => {
      const r = parseMessage(f);
      return r.ok ? serializeMessage(r.message) : Buffer.alloc(0);
    }));
    const whole = new StreamFramer({ maxBodyBytes: 1 << 20 }).push(stream).messages.map((m) => Buffer.from(m).toString('latin1'));
    expect(whole.length).toBe(6);
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 10 }), (cuts) => {
      const f = new StreamFramer({ maxBodyBytes: 1 << 20 });
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const got: string[] = [];
      let prev = 0;
      for (const p of [...points, stream.length]) {
        const out = f.push(stream.subarray(prev, p));
        expect(out.error).toBeUndefined();
        got.push(...out.messages.map((m) => Buffer.from(m).toString('latin1')));
        prev = p;
      }
      expect(got).toEqual(whole);
    }), { numRuns: 200 });
  });

  it('the stream framer never throws on random chunks', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }), (chunks) => {
      const f = new StreamFramer({ maxHeaderBytes: 512, maxBodyBytes: 512 });
      for (const c of chunks) {
        const out = f.push(c);
        expect(Array.isArray(out.messages)).toBe(true);
      }
    }), { numRuns: 300 });
  });
});
