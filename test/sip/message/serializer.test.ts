import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  addHeader, buildRejectResponse, createRequest, createResponse, getHeader, getHeaders, getNameAddrs, newBranch, newCallId,
  newTag, removeHeader, setHeader,
} from '../../../daemon/sip/message-helpers.js';
import { parseMessage } from '../../../daemon/sip/parser.js';
import { serializeMessage } from '../../../daemon/sip/serializer.js';
import type { NameAddr, SipRequest, SipUri } from '../../../daemon/sip/types.js';
import { PortierError } from '../../../daemon/util/errors.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/rfc4475');
const uri = (user: string, host: string): SipUri => ({ scheme: 'sip', user, host, params: {}, headers: {} });
const addr = (user: string, host: string, params: NameAddr['params'] = {}, displayName?: string): NameAddr =>
  ({ uri: uri(user, host), params, ...(displayName ? { displayName } : {}) });

function invite(extra: Partial<Parameters<typeof createRequest>[0]> = {}): SipRequest {
  return createRequest({
    method: 'INVITE', uri: 'sip:101@192.0.2.1', from: addr('door', '192.0.2.1', { tag: 'ft' }, 'Front Door'),
    to: addr('101', '192.0.2.1'), callId: 'cid@door', cseq: 1,
    via: { transport: 'UDP', host: '192.0.2.20', port: 5060, params: { branch: 'z9hG4bKb1', rport: null } },
    contact: addr('door', '192.0.2.20:5060'.split(':')[0]), body: 'v=0\r\n', contentType: 'application/sdp', ...extra,
  });
}

describe('serializeMessage', () => {
  it('writes start line, typed headers, other headers, then Content-Length from the body', () => {
    const text = serializeMessage(invite()).toString();
    expect(text).toBe([
      'INVITE sip:101@192.0.2.1 SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKb1;rport',
      'From: "Front Door" <sip:door@192.0.2.1>;tag=ft',
      'To: <sip:101@192.0.2.1>',
      'Call-ID: cid@door',
      'CSeq: 1 INVITE',
      'Max-Forwards: 70',
      'Contact: <sip:door@192.0.2.20>',
      'Content-Type: application/sdp',
      'Content-Length: 5',
      '',
      'v=0\r\n',
    ].join('\r\n'));
  });

  it('counts Content-Length in bytes, not characters', () => {
    const req = invite({ body: 'ü€' });
    expect(serializeMessage(req).toString()).toMatch(/Content-Length: 5\r\n\r\nü€$/);
  });

  it('ignores a Content-Length or typed field smuggled into headers', () => {
    const req = invite();
    req.headers.push({ name: 'Content-Length', value: '999' }, { name: 'l', value: '1' });
    const text = serializeMessage(req).toString();
    expect(text.match(/Content-Length/g)).toHaveLength(1);
    expect(text).toMatch(/Content-Length: 5/);
  });

  it('refuses a config value that would inject a header (CRLF injection)', () => {
    const evil = 'Door\r\nX-Evil: 1';
    const attempts: Array<() => unknown> = [
      () => invite({ from: addr('door', 'pbx', {}, evil) }),
      () => invite({ uri: { ...uri('101', 'pbx'), user: evil } }),
      () => invite({ callId: evil }),
      () => invite({ headers: { 'User-Agent': evil } }),
      () => invite({ headers: [{ name: 'X-Evil\r\nY', value: '1' }] }),
      () => invite({ contact: evil }),
      () => invite({ contentType: 'application/sdp\r\nX: 1' }),
      () => invite({ method: 'INV ITE' }),
      () => createResponse(invite(), 200, 'OK\r\nX-Evil: 1'),
      () => setHeader(invite(), 'Subject', 'a\nb'),
      () => addHeader(invite(), 'Subject', 'a\0b'),
    ];
    for (const attempt of attempts) {
      let err: unknown;
      try {
        attempt();
      } catch (e) {
        err = e;
      }
      expect(err, String(attempt)).toBeInstanceOf(PortierError);
      expect((err as PortierError).code).toBe('BAD_REQUEST');
    }
    const req = invite();
    req.headers.push({ name: 'Subject', value: 'x\r\nX-Evil: 1' });
    expect(() => serializeMessage(req)).toThrow(PortierError);
  });

  it('round-trips a built request through the parser', () => {
    const req = invite({ headers: [{ name: 'Supported', value: 'timer' }, { name: 'Allow', value: 'INVITE, ACK' }] });
    const r = parseMessage(serializeMessage(req));
    expect(r.ok && r.message).toEqual(req);
  });
});

describe('message helpers', () => {
  it('gets headers case-insensitively, by compact name, and typed fields formatted', () => {
    const req = invite({ headers: [{ name: 'Supported', value: 'timer, replaces' }] });
    expect(getHeader(req, 'k')).toBe('timer, replaces');
    expect(getHeaders(req, 'SUPPORTED')).toEqual(['timer', 'replaces']);
    expect(getHeader(req, 'f')).toBe('"Front Door" <sip:door@192.0.2.1>;tag=ft');
    expect(getHeader(req, 'cseq')).toBe('1 INVITE');
    expect(getHeader(req, 'l')).toBe('5');
    expect(getHeaders(req, 'v')).toEqual(['SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKb1;rport']);
    expect(getNameAddrs(req, 'm')[0].uri.user).toBe('door');
    expect(getHeader(req, 'X-Missing')).toBeUndefined();
  });

  it('sets, adds and removes headers in place', () => {
    const req = invite();
    addHeader(req, 'k', 'timer');
    addHeader(req, 'Supported', 'replaces');
    expect(getHeaders(req, 'Supported')).toEqual(['timer', 'replaces']);
    setHeader(req, 'supported', '100rel');
    expect(getHeaders(req, 'Supported')).toEqual(['100rel']);
    expect(removeHeader(req, 'Supported')).toBe(1);
    expect(getHeader(req, 'Supported')).toBeUndefined();
    expect(() => setHeader(req, 'From', '<sip:x@y>')).toThrow(/typed field/);
  });

  it('builds a response copying Via, From, To, Call-ID and CSeq, adding the To tag (RFC 3261 8.2.6)', () => {
    const req = invite({ via: [{ transport: 'UDP', host: 'p1', params: { branch: 'z9hG4bK1' } }, { transport: 'TCP', host: 'p2', params: { branch: 'z9hG4bK2' } }] });
    req.headers.push({ name: 'Record-Route', value: '<sip:proxy;lr>' }, { name: 'Timestamp', value: '54' });
    const ringing = createResponse(req, 180, undefined, { toTag: 'tt' });
    expect(ringing).toMatchObject({ status: 180, reason: 'Ringing', callId: req.callId, cseq: req.cseq, from: req.from });
    expect(ringing.via).toEqual(req.via);
    expect(ringing.to.params.tag).toBe('tt');
    expect(req.to.params.tag).toBeUndefined();
    expect(getHeader(ringing, 'Record-Route')).toBe('<sip:proxy;lr>');
    const trying = createResponse(req, 100, undefined, { toTag: 'tt' });
    expect(trying.to.params.tag).toBeUndefined();
    expect(getHeader(trying, 'Timestamp')).toBe('54');
    expect(getHeader(createResponse(req, 486), 'Record-Route')).toBeUndefined();
  });

  it('keeps an existing To tag', () => {
    const req = invite({ to: addr('101', 'pbx', { tag: 'old' }) });
    expect(createResponse(req, 200, 'OK', { toTag: 'new' }).to.params.tag).toBe('old');
  });

  it('answers a request that failed to parse statelessly from its raw headers', () => {
    const bad = 'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK7\r\nFrom: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: q\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 999\r\n\r\n';
    const r = parseMessage(bad);
    if (r.ok || !r.headers) throw new Error('expected a rejection with headers');
    const out = buildRejectResponse(r.headers, r.status ?? 400, undefined, 'tg');
    expect(out?.toString()).toBe('SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK7\r\nFrom: <sip:c@d>;tag=1\r\nTo: <sip:a@b>;tag=tg\r\nCall-ID: q\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
    const answer = parseMessage(out ?? '');
    expect(answer.ok).toBe(true);
    expect(buildRejectResponse([{ name: 'Via', value: 'SIP/2.0/UDP h' }], 400)).toBeUndefined();
    expect(buildRejectResponse([{ name: 'CSeq', value: '1 OPTIONS' }], 400)).toBeUndefined();
  });

  it('answers insuf.dat (no From, To or Call-ID) with a 400 carrying its Via and CSeq (RFC 4475 3.3.1)', () => {
    const r = parseMessage(readFileSync(join(DIR, 'insuf.dat')));
    if (r.ok || !r.headers) throw new Error('expected a rejection with headers');
    expect(r.status).toBe(400);
    expect(buildRejectResponse(r.headers, 400)?.toString()).toBe(
      'SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\r\nCSeq: 193942 INVITE\r\nContent-Length: 0\r\n\r\n');
  });

  it('makes branches with the magic cookie and distinct tags and Call-IDs', () => {
    expect(newBranch()).toMatch(/^z9hG4bK[A-Za-z0-9_-]{10,}$/);
    expect(newTag()).not.toBe(newTag());
    expect(newCallId('door.local')).toMatch(/^[0-9a-f]{24}@door\.local$/);
  });
});
