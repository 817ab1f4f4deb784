import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../daemon/sip/parser.js';
import type { SipRequest } from '../../../daemon/sip/types.js';
import { checkRequest } from '../../../daemon/sip/validate.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/rfc4475');

function req(source: string | Buffer): SipRequest {
  const r = parseMessage(source);
  if (!r.ok || r.message.kind !== 'request') throw new Error(r.ok ? 'not a request' : r.reason);
  return r.message;
}
const fixture = (name: string) => req(readFileSync(join(DIR, name)));

const UA = { supported: ['timer'], accept: ['application/sdp'] };

function make(lines: string[], body = ''): SipRequest {
  const method = lines[0].split(' ')[0];
  const all = [
    lines[0],
    'Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKq1',
    'From: <sip:pbx@192.0.2.9>;tag=1',
    'To: <sip:door@192.0.2.1>',
    'Call-ID: c1',
    `CSeq: 1 ${method}`,
    ...lines.slice(1),
  ];
  return req(all.join('\r\n') + `\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` + body);
}

describe('checkRequest', () => {
  it('lets an ordinary INVITE through', () => {
    expect(checkRequest(make(['INVITE sip:door@192.0.2.1 SIP/2.0', 'Contact: <sip:pbx@192.0.2.9>', 'Content-Type: application/sdp'], 'v=0\r\n'), UA)).toBeNull();
  });

  it('answers 420 listing the Require tags it does not support, not Proxy-Require (RFC 4475 3.3.5)', () => {
    expect(checkRequest(fixture('bext01.dat'), UA)).toEqual({
      status: 420, reason: 'Bad Extension', headers: [{ name: 'Unsupported', value: 'nothingSupportsThis, nothingSupportsThisEither' }],
    });
    expect(checkRequest(make(['OPTIONS sip:door@h SIP/2.0', 'Require: Timer']), UA)).toBeNull();
  });

  it('answers 415 with Accept for an unknown body type and with Accept-Encoding for an encoding (RFC 4475 3.3.6)', () => {
    expect(checkRequest(fixture('invut.dat'), UA)).toEqual({
      status: 415, reason: 'Unsupported Media Type', headers: [{ name: 'Accept', value: 'application/sdp' }],
    });
    const gz = make(['INVITE sip:door@h SIP/2.0', 'Contact: <sip:p@h>', 'Content-Type: application/sdp', 'Content-Encoding: gzip'], 'x');
    expect(checkRequest(gz, UA)).toMatchObject({ status: 415, headers: [{ name: 'Accept-Encoding', value: 'identity' }] });
  });

  it('answers 416 for a Request-URI scheme it does not handle (RFC 4475 3.3.2, 3.3.3)', () => {
    expect(checkRequest(fixture('unkscm.dat'), UA)?.status).toBe(416);
    expect(checkRequest(fixture('novelsc.dat'), UA)?.status).toBe(416);
    expect(checkRequest(make(['OPTIONS tel:+4930123 SIP/2.0']), UA)?.status).toBe(416);
    expect(checkRequest(make(['OPTIONS tel:+4930123 SIP/2.0']), { ...UA, schemes: ['sip', 'tel'] })).toBeNull();
  });

  it('answers 405 with Allow for a known method it does not take, 501 for an unknown one (RFC 3261 8.2.1)', () => {
    const allow = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS'];
    expect(checkRequest(fixture('cparam01.dat'), { ...UA, allow })).toEqual({
      status: 405, reason: 'Method Not Allowed', headers: [{ name: 'Allow', value: 'INVITE, ACK, BYE, CANCEL, OPTIONS' }],
    });
    expect(checkRequest(fixture('esc02.dat'), { ...UA, allow })?.status).toBe(501);
    expect(checkRequest(fixture('esc02.dat'), UA)).toBeNull();
  });

  it('answers 406 when the INVITE does not accept SDP answers (RFC 4475 3.3.15), but not for */*', () => {
    expect(checkRequest(fixture('sdp01.dat'), UA)).toMatchObject({ status: 406, headers: [{ name: 'Warning', value: expect.stringMatching(/^399 portier "/) }] });
    const any = make(['INVITE sip:door@h SIP/2.0', 'Contact: <sip:p@h>', 'Accept: text/plain, application/*']);
    expect(checkRequest(any, UA)).toBeNull();
  });

  it('answers 400 for a branch that is only the magic cookie (RFC 4475 3.2.1) and an INVITE without Contact', () => {
    expect(checkRequest(fixture('badbranch.dat'), UA)).toEqual({ status: 400, reason: 'Via branch has no transaction identifier' });
    expect(checkRequest(fixture('inv2543.dat'), UA)).toEqual({ status: 400, reason: 'Missing Contact' });
  });

  it('processes Max-Forwards 0 as an endpoint; only a forwarding element answers 483 (RFC 4475 3.3.11)', () => {
    expect(checkRequest(fixture('zeromf.dat'), UA)).toBeNull();
    expect(checkRequest(fixture('zeromf.dat'), { ...UA, forwarding: true })?.status).toBe(483);
  });

  it('answers 513 when the message is larger than allowed', () => {
    expect(checkRequest(fixture('zeromf.dat'), { ...UA, messageSize: 70000, maxMessageSize: 65535 })?.status).toBe(513);
  });

  it('never rejects an ACK, whatever it carries (RFC 3261 17.2.1)', () => {
    const ack = make(['ACK sip:door@h SIP/2.0', 'Require: nothingSupportsThis', 'Content-Type: text/weird'], 'x');
    expect(checkRequest(ack, UA)).toBeNull();
  });

  it('answers 400 for requests built in memory with a CSeq mismatch or no Via', () => {
    const r = make(['OPTIONS sip:door@h SIP/2.0']);
    expect(checkRequest({ ...r, cseq: { seq: 1, method: 'INVITE' } }, UA)?.status).toBe(400);
    expect(checkRequest({ ...r, via: [] }, UA)?.status).toBe(400);
    expect(checkRequest({ ...r, version: 'SIP/3.0' }, UA)?.status).toBe(505);
  });
});
