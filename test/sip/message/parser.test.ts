import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getHeader, getHeaders } from '../../../daemon/sip/message-helpers.js';
import { parseMessage } from '../../../daemon/sip/parser.js';
import type { SipMessage, SipRequest } from '../../../daemon/sip/types.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/rfc4475');
const fixture = (name: string) => readFileSync(join(DIR, name));

function parsed(data: Uint8Array | string): SipMessage {
  const r = parseMessage(data);
  if (!r.ok) throw new Error(r.reason);
  return r.message;
}

const head = (lines: string[]) => lines.join('\r\n') + '\r\n\r\n';
const BASE = [
  'OPTIONS sip:door@192.0.2.1 SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKabc',
  'From: <sip:pbx@192.0.2.9>;tag=1',
  'To: <sip:door@192.0.2.1>',
  'Call-ID: abc@192.0.2.9',
  'CSeq: 1 OPTIONS',
];

describe('parseMessage', () => {
  it('reads the short tortuous INVITE (RFC 4475 3.1.1.1): folding, LWS, compact forms, two Vias on a line', () => {
    const m = parsed(fixture('wsinv.dat')) as SipRequest;
    expect(m.method).toBe('INVITE');
    expect(m.uri.params).toEqual({ unknownparam: null });
    expect(m.to.params.tag).toBe('1918181833n');
    expect(m.from).toMatchObject({ displayName: 'J Rosenberg \\"', params: { tag: '98asjd8' } });
    expect(m.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(m.via.map((v) => [v.transport, v.host, v.params.branch])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'], ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'], ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(getHeader(m, 'Max-Forwards')).toBe('0068');
    expect(getHeader(m, 's')).toBe('');
    expect(getHeader(m, 'NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(getHeaders(m, 'm')).toEqual(['"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33']);
    expect(m.headers.map((h) => h.name)).toEqual(['Max-Forwards', 'Subject', 'NewFangledHeader', 'UnknownHeaderWithUnusualValue', 'Content-Type', 'Route', 'Contact']);
    expect(m.body.length).toBe(150);
  });

  it('expands compact header names to canonical ones', () => {
    const m = parsed(head([...BASE.slice(0, 1), 'v: SIP/2.0/UDP h;branch=z9hG4bK1', 'f: <sip:a@b>;tag=1', 't: <sip:c@d>', 'i: x', 'CSeq: 1 OPTIONS',
      'm: <sip:a@h>', 'c: application/sdp', 'k: timer', 'e: identity', 'o: dialog', 'u: talk', 'r: <sip:x@y>', 'b: <sip:z@y>', 'x: 1800', 's: hello']));
    expect(m.headers.map((h) => h.name)).toEqual(['Contact', 'Content-Type', 'Supported', 'Content-Encoding', 'Event', 'Allow-Events', 'Refer-To', 'Referred-By', 'Session-Expires', 'Subject']);
    expect(m.callId).toBe('x');
  });

  it('splits multi-value headers but not commas in quotes, <>, Date or auth headers', () => {
    const m = parsed(head([...BASE, 'Contact: "A, B" <sip:a,1@h>, <sip:b@h>', 'Supported: timer, replaces', 'Supported: 100rel',
      'Date: Sat, 15 Oct 2005 04:44:56 GMT', 'WWW-Authenticate: Digest realm="r", nonce="n", qop="auth,auth-int"']));
    expect(getHeaders(m, 'contact')).toEqual(['"A, B" <sip:a,1@h>', '<sip:b@h>']);
    expect(getHeaders(m, 'k')).toEqual(['timer', 'replaces', '100rel']);
    expect(getHeaders(m, 'Date')).toEqual(['Sat, 15 Oct 2005 04:44:56 GMT']);
    expect(getHeaders(m, 'www-authenticate')).toHaveLength(1);
  });

  it('truncates a datagram body to Content-Length and rejects a shorter one', () => {
    const m = parsed(head([...BASE, 'Content-Type: text/plain', 'Content-Length: 5']) + 'hello world');
    expect(Buffer.from(m.body).toString()).toBe('hello');
    const r = parseMessage(head([...BASE, 'Content-Length: 50']) + 'short');
    expect(r).toMatchObject({ ok: false, status: 400, reason: expect.stringMatching(/Content-Length 50 is larger than the 5 bytes/) });
  });

  it('takes the rest of a datagram as the body when Content-Length is missing', () => {
    expect(Buffer.from(parsed(head(BASE) + 'abc\r\n').body).toString()).toBe('abc\r\n');
  });

  it('keeps a binary body byte for byte', () => {
    const body = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0x80]);
    const m = parsed(Buffer.concat([Buffer.from(head([...BASE, `Content-Length: ${body.length}`])), body]));
    expect(Buffer.from(m.body)).toEqual(body);
  });

  it('skips CRLFs before the start line (RFC 3261 7.5)', () => {
    expect(parsed('\r\n\r\n' + head(BASE)).kind).toBe('request');
  });

  it('reads responses, including an empty reason phrase and UTF-8 reasons', () => {
    const r = parsed(fixture('noreason.dat'));
    expect(r).toMatchObject({ kind: 'response', status: 100, reason: '' });
    const u = parsed(fixture('unreason.dat'));
    expect(u.kind === 'response' && u.reason).toMatch(/^= 2\*\*3 \* 5\*\*2 но/);
  });

  it('rejects bare LF line endings and a missing empty line with a reason', () => {
    expect(parseMessage(BASE.join('\n') + '\n\n')).toMatchObject({ ok: false, status: 400 });
    expect(parseMessage(BASE.join('\r\n') + '\r\n')).toMatchObject({ ok: false, reason: expect.stringMatching(/empty line/) });
  });

  it('gives the raw headers of a rejected request so it can be answered statelessly', () => {
    const r = parseMessage(fixture('multi01.dat'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe(400);
    expect(r.headers?.filter((h) => h.name === 'CSeq').map((h) => h.value)).toEqual(['5 INVITE', '59 INVITE']);
  });

  it('offers no status for a rejected response (responses are never answered)', () => {
    const r = parseMessage(fixture('bigcode.dat'));
    expect(r).toMatchObject({ ok: false });
    expect(r.ok === false && r.status).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['\r\n\r\n', /empty/],
    ['garbage', /empty line/],
    ['INVITE sip:a@b SIP/2.0\r\n\r\n', /Via .* missing/],
    ['SIP/2.0 99 Low\r\n\r\n', /status code/],
    ['HELLO\r\n\r\n', /neither a request nor a status line/],
  ])('rejects %j without throwing', (text, reason) => {
    const r = parseMessage(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('rejects a raw NUL byte in the header section but accepts an escaped one (RFC 4475 3.1.1.2)', () => {
    expect(parseMessage(head([...BASE, 'Subject: a\0b']))).toMatchObject({ ok: false, reason: expect.stringMatching(/NUL byte/) });
    expect(parsed(head([...BASE, 'Subject: "a\\\0b"'])).headers).toEqual([{ name: 'Subject', value: '"a\\\0b"' }]);
  });

  it('rejects header names that are not tokens and lines without a colon', () => {
    expect(parseMessage(head([...BASE, 'Bad Name: x']))).toMatchObject({ ok: false, reason: expect.stringMatching(/not a token/) });
    expect(parseMessage(head([...BASE, 'NoColonHere']))).toMatchObject({ ok: false, reason: expect.stringMatching(/no colon/) });
  });

  it('rejects Max-Forwards above 255 and a second single-value header', () => {
    expect(parseMessage(head([...BASE, 'Max-Forwards: 256']))).toMatchObject({ ok: false, status: 400, reason: expect.stringMatching(/larger than 255/) });
    expect(parseMessage(head([...BASE, 'From: <sip:x@y>;tag=2']))).toMatchObject({ ok: false, status: 400, reason: expect.stringMatching(/From header appears more than once/) });
  });

  it('accepts a string or a Uint8Array view into a larger buffer', () => {
    const bytes = Buffer.from('xxxx' + head(BASE));
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset + 4, bytes.length - 4);
    expect(parsed(view).callId).toBe('abc@192.0.2.9');
  });
});
