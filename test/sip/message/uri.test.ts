import { describe, expect, it } from 'vitest';
import { formatUri, parseUri, unescapeUriPart } from '../../../daemon/sip/uri.js';

function ok(text: string) {
  const r = parseUri(text);
  if (!r.ok) throw new Error(`${text}: ${r.reason}`);
  return r.value;
}

describe('SIP/SIPS/tel URIs', () => {
  it('parses user, password, host, port, parameters and headers', () => {
    expect(ok('sips:alice:secret@Example.COM:5061;transport=TLS;lr;Maddr=10.0.0.1?subject=hi&priority=urgent')).toEqual({
      scheme: 'sips', user: 'alice', password: 'secret', host: 'Example.COM', port: 5061,
      params: { transport: 'TLS', lr: null, maddr: '10.0.0.1' },
      headers: { subject: 'hi', priority: 'urgent' },
    });
  });

  it('parses IPv6 references and hosts without a user', () => {
    const v6 = ok('sip:[2001:db8::1]:5060');
    expect(v6).toMatchObject({ host: '[2001:db8::1]', port: 5060 });
    expect(v6.user).toBeUndefined();
    expect(ok('SIP:pbx.local')).toMatchObject({ scheme: 'sip', host: 'pbx.local' });
  });

  it('keeps escapes in the user part as on the wire and decodes them on request', () => {
    const u = ok('sip:sips%3Auser%40example.com@example.net');
    expect(u.user).toBe('sips%3Auser%40example.com');
    expect(unescapeUriPart(u.user ?? '')).toBe('sips:user@example.com');
  });

  it('accepts a user part with ";" "?" "/" (RFC 4475 3.1.1.9)', () => {
    expect(ok('sip:user;par=u%40example.net@example.com')).toMatchObject({ user: 'user;par=u%40example.net', host: 'example.com' });
  });

  it('parses tel URIs with parameters', () => {
    expect(ok('tel:+49-30-1234567;phone-context=example.com')).toEqual({
      scheme: 'tel', user: '+49-30-1234567', host: '', params: { 'phone-context': 'example.com' }, headers: {},
    });
  });

  it('keeps other schemes opaque (RFC 4475 3.3.2-3.3.4)', () => {
    expect(ok('soap.beep://192.0.2.103:3002')).toMatchObject({ scheme: 'soap.beep', opaque: '//192.0.2.103:3002', host: '' });
    expect(formatUri(ok('isbn:2983792873'))).toBe('isbn:2983792873');
  });

  it.each([
    ['sip:', /no host/],
    ['sip:alice@', /no host/],
    ['sip:a@host:99999', /invalid port/],
    ['sip:a@host:', /invalid port/],
    ['sip:a b@host', /invalid user/],
    ['sip:a@host;;lr', /invalid parameter/],
    ['sip:a@host;x=', /invalid parameter value/],
    ['sip:a@host?x', /invalid header/],
    ['sip:a@host junk', /unexpected text/],
    ['<sip:a@host>', /invalid scheme/],
    ['nocolon', /no scheme/],
    ['sip:a%2@host', /invalid user/],
  ])('rejects %s with a reason', (text, reason) => {
    const r = parseUri(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('formats what it parses back to the same text', () => {
    for (const t of ['sip:alice@example.com:5070;transport=tcp;lr', 'sips:[::1]', 'sip:100@10.0.0.1?Replaces=abc%40host',
      'tel:+1-201-555-0123']) {
      expect(formatUri(ok(t))).toBe(t);
    }
    // parameter names are case-insensitive and come back lower-cased; values and users as they were
    expect(formatUri(ok('sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31')))
      .toBe('sip:cal%6Cer@host5.example.net;%6c%72;n%61me=v%61lue%25%34%31');
  });

  it('escapes characters the grammar does not allow in a configured user part', () => {
    expect(formatUri({ scheme: 'sip', user: 'front door', host: 'pbx', params: {}, headers: {} })).toBe('sip:front%20door@pbx');
  });

  it('refuses CR, LF or NUL in any URI part built from config', () => {
    const base = { scheme: 'sip' as const, host: 'pbx', params: {}, headers: {} };
    expect(() => formatUri({ ...base, user: 'door\r\nX-Evil: 1' })).toThrow(/CR, LF or NUL/);
    expect(() => formatUri({ ...base, host: 'pbx\r\nX: 1' })).toThrow(/CR, LF or NUL/);
    expect(() => formatUri({ ...base, params: { transport: 'udp\n' } })).toThrow(/CR, LF or NUL/);
    expect(() => formatUri({ ...base, headers: { subject: 'a\0b' } })).toThrow(/CR, LF or NUL/);
    expect(() => formatUri({ ...base, host: 'bad host' })).toThrow(/not a valid host/);
    expect(() => formatUri({ ...base, port: 70000 })).toThrow(/out of range/);
  });
});
