import { describe, expect, it } from 'vitest';
import { formatNameAddr, parseHeaderParams, parseNameAddr, splitList } from '../../../daemon/sip/name-addr.js';
import { formatVia, parseVia } from '../../../daemon/sip/via.js';

function na(text: string) {
  const r = parseNameAddr(text);
  if (!r.ok) throw new Error(`${text}: ${r.reason}`);
  return r.value;
}

describe('name-addr / addr-spec', () => {
  it('reads a quoted display name with escapes, the URI and header parameters', () => {
    expect(na('"J Rosenberg \\\\\\"" <sip:jdrosen@example.com> ; tag = 98asjd8 ;q=0.33')).toEqual({
      displayName: 'J Rosenberg \\"',
      uri: { scheme: 'sip', user: 'jdrosen', host: 'example.com', params: {}, headers: {} },
      params: { tag: '98asjd8', q: '0.33' },
    });
  });

  it('reads token display names, with and without space before <', () => {
    expect(na('Front  Door <sip:door@pbx>').displayName).toBe('Front Door');
    expect(na('caller<sip:caller@example.com>;tag=323').displayName).toBe('caller');
  });

  it('gives addr-spec parameters to the header, not the URI (RFC 3261 20.10)', () => {
    const v = na('sip:+19725552222@gw1.example.net;unknownparam;tag=x');
    expect(v.uri.params).toEqual({});
    expect(v.params).toEqual({ unknownparam: null, tag: 'x' });
    expect(na('<sip:+19725552222@gw1.example.net;unknownparam>').uri.params).toEqual({ unknownparam: null });
  });

  it('keeps a parameter named __proto__ as a parameter, not a prototype', () => {
    const v = na('<sip:a@b;__proto__>;__proto__=x;tag=1');
    expect(Object.getPrototypeOf(v.params)).toBe(Object.prototype);
    expect(Object.keys(v.params)).toEqual(['__proto__', 'tag']);
    expect(v.params['__proto__']).toBe('x');
    expect(Object.keys(v.uri.params)).toEqual(['__proto__']);
  });

  it('keeps quoted parameter values with their quotes', () => {
    expect(na('<sip:a@b>;+sip.instance="<urn:uuid:1234>"').params).toEqual({ '+sip.instance': '"<urn:uuid:1234>"' });
  });

  it.each([
    ['"Mr. J. User <sip:j.user@example.com>', /quoted string/],
    ['Bell, Alexander <sip:a.g.bell@example.com>', /display name "Bell, Alexander"/],
    ['< sip:t.watson@example.org >', /whitespace/],
    ['sip:user@example.com?Route=%3Csip:sip.example.com%3E', /not enclosed/],
    ['"Joe" <sip:joe@example.org>;;;;', /empty parameter/],
    ['<sip:a@b', /no matching ">"/],
    ['<sip:a@b>;tag=', /empty value/],
    ['', /no URI/],
  ])('rejects %s', (text, reason) => {
    const r = parseNameAddr(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('formats with quotes and brackets, escaping quotes and backslashes', () => {
    expect(formatNameAddr({ displayName: 'Door "A"', uri: { scheme: 'sip', user: 'd', host: 'h', params: {}, headers: {} }, params: { tag: 'x' } }))
      .toBe('"Door \\"A\\"" <sip:d@h>;tag=x');
  });

  it('never lets a display name inject a header line', () => {
    const uri = { scheme: 'sip' as const, user: 'd', host: 'h', params: {}, headers: {} };
    expect(() => formatNameAddr({ displayName: 'Door\r\nX-Evil: 1', uri, params: {} })).toThrow(/CR or LF/);
    expect(() => formatNameAddr({ displayName: 'D', uri, params: { tag: 'a\r\nb' } })).toThrow(/CR, LF or NUL/);
    expect(formatNameAddr({ displayName: 'Do\0or', uri, params: {} })).toBe('"Door" <sip:d@h>');
  });
});

describe('comma-separated lists', () => {
  it('splits at commas outside quotes and angle brackets', () => {
    expect(splitList('"Doe, John" <sip:a@b;x=1,2>, <sip:c@d>;q=0.5 ,sip:e@f')).toEqual([
      '"Doe, John" <sip:a@b;x=1,2>', '<sip:c@d>;q=0.5', 'sip:e@f',
    ]);
    expect(splitList('a,,b')).toEqual(['a', '', 'b']);
  });
});

describe('header parameters', () => {
  it('accepts LWS around ";" and "=" and IPv6 values', () => {
    expect(parseHeaderParams(' ; received = [2001:db8::9] ;rport', 0, {})).toEqual({ received: '[2001:db8::9]', rport: null });
  });
});

describe('Via', () => {
  it('reads sent-protocol with LWS around "/" and a port, lower-cases param names', () => {
    const r = parseVia('SIP  / 2.0  / tcp     spindle.example.com : 5070  ;  Branch  =   z9hG4bK9ikj8;rport;received=192.0.2.1');
    expect(r).toEqual({ ok: true, value: { transport: 'TCP', host: 'spindle.example.com', port: 5070, params: { branch: 'z9hG4bK9ikj8', rport: null, received: '192.0.2.1' } } });
  });

  it.each([
    ['SIP/2.0/UDP', /no space|no sent-by/],
    ['SIP/3.0/UDP host', /version/],
    ['SIP/2.0/UDP host:x', /port/],
    ['SIP/2.0/UDP 192.0.2.15;;', /empty parameter/],
    ['HTTP/2.0/UDP host', /SIP\/2.0/],
  ])('rejects %s', (text, reason) => {
    const r = parseVia(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('formats in the canonical form', () => {
    expect(formatVia({ transport: 'udp', host: '10.0.0.2', port: 5060, params: { branch: 'z9hG4bKx', rport: null } }))
      .toBe('SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKx;rport');
    expect(() => formatVia({ transport: 'UDP', host: 'h\r\nX: y', params: {} })).toThrow(/invalid host/);
  });
});
