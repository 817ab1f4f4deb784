import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../daemon/sip/parser.js';
import { StreamFramer } from '../../../daemon/sip/stream-framer.js';

/** a message; cl null = no Content-Length header */
function msg(body = '', cl: string | null = String(Buffer.byteLength(body)), callId = 'c1'): string {
  return [
    'OPTIONS sip:door@192.0.2.1 SIP/2.0',
    'Via: SIP/2.0/TCP 192.0.2.9;branch=z9hG4bK1',
    'From: <sip:pbx@192.0.2.9>;tag=1',
    'To: <sip:door@192.0.2.1>',
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    ...(cl === null ? [] : [`Content-Length: ${cl}`]),
    '',
    body,
  ].join('\r\n');
}

const bytes = (s: string) => Buffer.from(s);
const text = (m: Uint8Array) => Buffer.from(m).toString();

describe('StreamFramer', () => {
  it('cuts back-to-back messages by Content-Length', () => {
    const f = new StreamFramer();
    const out = f.push(bytes(msg('hello') + msg('', '0', 'c2') + msg('xy', 'l-compact')));
    expect(out.error).toMatch(/Content-Length "l-compact"/);
    expect(out.messages.map(text)).toEqual([msg('hello'), msg('', '0', 'c2')]);
  });

  it('reassembles a message delivered one byte at a time', () => {
    const f = new StreamFramer();
    const whole = msg('v=0\r\n');
    const got: string[] = [];
    for (const b of bytes(whole + whole)) {
      const out = f.push(Uint8Array.of(b));
      expect(out.error).toBeUndefined();
      got.push(...out.messages.map(text));
    }
    expect(got).toEqual([whole, whole]);
    expect(f.buffered).toBe(0);
    expect(parseMessage(bytes(got[0])).ok).toBe(true);
  });

  it('reads the compact "l" form and skips CRLF keep-alives, reporting pings and pongs (RFC 5626 3.5.1)', () => {
    const f = new StreamFramer();
    const compact = msg('ab', null).replace('CSeq: 1 OPTIONS\r\n', 'CSeq: 1 OPTIONS\r\nl: 2\r\n');
    const out = f.push(bytes('\r\n\r\n' + compact + '\r\n\r\n\r\n\r\n'));
    expect(out.messages.map(text)).toEqual([compact]);
    expect(out.pings).toBe(3);
    expect(out.pongs).toBe(0);
    const pong = f.push(bytes('\r\n'));
    expect(pong).toMatchObject({ messages: [], pings: 0, pongs: 1 });
  });

  it('refuses a message without Content-Length on a stream (RFC 3261 18.3) and stays failed', () => {
    const f = new StreamFramer();
    const out = f.push(bytes(msg('', null)));
    expect(out.error).toMatch(/without Content-Length/);
    expect(f.push(bytes(msg())).error).toMatch(/without Content-Length/);
    expect(f.push(bytes(msg())).messages).toEqual([]);
  });

  it('refuses two different Content-Length values', () => {
    const two = msg('abc').replace('Content-Length: 3', 'Content-Length: 3\r\nContent-Length: 5');
    expect(new StreamFramer().push(bytes(two)).error).toMatch(/more than one Content-Length/);
  });

  it('bounds the header section and the body', () => {
    const f = new StreamFramer({ maxHeaderBytes: 300 });
    expect(f.push(bytes('INVITE sip:a@b SIP/2.0\r\nX: ' + 'a'.repeat(400))).error).toMatch(/header section larger than 300/);
    const g = new StreamFramer({ maxBodyBytes: 10 });
    expect(g.push(bytes(msg('x'.repeat(11)))).error).toMatch(/larger than the limit of 10/);
    const h = new StreamFramer();
    expect(h.push(bytes(msg('', String(64 * 1024 + 1)))).error).toMatch(/larger than the limit of 65536/);
  });

  it('waits for the rest of a body that has not arrived', () => {
    const f = new StreamFramer();
    const whole = msg('0123456789');
    expect(f.push(bytes(whole.slice(0, -4))).messages).toEqual([]);
    expect(f.push(bytes(whole.slice(-4))).messages.map(text)).toEqual([whole]);
  });

  it('rejects a stray CR between messages', () => {
    expect(new StreamFramer().push(bytes('\rX')).error).toMatch(/CR between messages/);
  });
});
