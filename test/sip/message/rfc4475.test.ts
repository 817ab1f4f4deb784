import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../daemon/sip/parser.js';
import { checkRequest } from '../../../daemon/sip/validate.js';
import { serializeMessage } from '../../../daemon/sip/serializer.js';
import type { NameAddr, SipMessage } from '../../../daemon/sip/types.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/rfc4475');
const read = (name: string) => readFileSync(join(DIR, name));

/**
 * RFC 4475 section 3, one row per message:
 *  - parse: 'ok' (well-formed) or a pattern the rejection reason must match
 *  - status: the status parseMessage offers for a rejected request (none for responses)
 *  - answer: what checkRequest says a UA answers to a request that parsed (null = process it)
 */
type Row = { file: string; section: string; parse: 'ok' | RegExp; status?: number; answer?: number | null };

const TABLE: Row[] = [
  // 3.1.1 valid messages
  { file: 'wsinv.dat', section: '3.1.1.1 short tortuous INVITE', parse: 'ok', answer: null },
  { file: 'intmeth.dat', section: '3.1.1.2 wide range of valid characters', parse: 'ok', answer: 501 },
  { file: 'esc01.dat', section: '3.1.1.3 valid use of % escaping', parse: 'ok', answer: null },
  { file: 'escnull.dat', section: '3.1.1.4 escaped nulls in URIs', parse: 'ok', answer: 405 },
  { file: 'esc02.dat', section: '3.1.1.5 use of % when it is not an escape', parse: 'ok', answer: 501 },
  { file: 'lwsdisp.dat', section: '3.1.1.6 no LWS between display name and <', parse: 'ok', answer: null },
  { file: 'longreq.dat', section: '3.1.1.7 long values in header fields', parse: 'ok', answer: null },
  { file: 'dblreq.dat', section: '3.1.1.8 extra trailing octets in a UDP datagram', parse: 'ok', answer: 405 },
  { file: 'semiuri.dat', section: '3.1.1.9 semicolon-separated parameters in URI user part', parse: 'ok', answer: null },
  { file: 'transports.dat', section: '3.1.1.10 varied and unknown transport types', parse: 'ok', answer: null },
  // the door takes no MESSAGE: well-formed, but 405 (the method is checked before the body)
  { file: 'mpart01.dat', section: '3.1.1.11 multipart MIME message', parse: 'ok', answer: 405 },
  { file: 'unreason.dat', section: '3.1.1.12 unusual reason phrase', parse: 'ok' },
  { file: 'noreason.dat', section: '3.1.1.13 empty reason phrase', parse: 'ok' },
  // 3.1.2 invalid messages
  { file: 'badinv01.dat', section: '3.1.2.1 extraneous header field separators', parse: /empty parameter/, status: 400 },
  { file: 'clerr.dat', section: '3.1.2.2 Content-Length larger than message', parse: /Content-Length 9999 is larger/, status: 400 },
  { file: 'ncl.dat', section: '3.1.2.3 negative Content-Length', parse: /Content-Length "-999"/, status: 400 },
  { file: 'scalar02.dat', section: '3.1.2.4 request scalar fields with overlarge values', parse: /CSeq number .* larger/, status: 400 },
  { file: 'scalarlg.dat', section: '3.1.2.5 response scalar fields with overlarge values', parse: /CSeq number .* larger/ },
  { file: 'quotbal.dat', section: '3.1.2.6 unterminated quoted string in display name', parse: /To header .*quoted string/, status: 400 },
  { file: 'ltgtruri.dat', section: '3.1.2.7 <> enclosing Request-URI', parse: /Request-URI is invalid/, status: 400 },
  { file: 'lwsruri.dat', section: '3.1.2.8 malformed Request-URI (embedded LWS)', parse: /Request-URI contains whitespace/, status: 400 },
  { file: 'lwsstart.dat', section: '3.1.2.9 multiple SP separating Request-Line elements', parse: /more than one SP/, status: 400 },
  { file: 'trws.dat', section: '3.1.2.10 SP characters at end of Request-Line', parse: /trailing SP/, status: 400 },
  { file: 'escruri.dat', section: '3.1.2.11 escaped headers in SIP Request-URI', parse: /Request-URI contains URI headers/, status: 400 },
  { file: 'baddate.dat', section: '3.1.2.12 invalid time zone in Date header field', parse: /not in GMT/, status: 400 },
  { file: 'regbadct.dat', section: '3.1.2.13 failure to enclose name-addr URI in <>', parse: /Contact header .*not enclosed/, status: 400 },
  { file: 'badaspec.dat', section: '3.1.2.14 spaces within addr-spec', parse: /To header .*whitespace/, status: 400 },
  { file: 'baddn.dat', section: '3.1.2.15 non-token characters in display name', parse: /display name "Bell, Alexander"/, status: 400 },
  { file: 'badvers.dat', section: '3.1.2.16 unknown protocol version', parse: /SIP\/7\.0/, status: 505 },
  { file: 'mismatch01.dat', section: '3.1.2.17 start line and CSeq method mismatch', parse: /CSeq method INVITE does not match .* OPTIONS/, status: 400 },
  { file: 'mismatch02.dat', section: '3.1.2.18 unknown method with CSeq method mismatch', parse: /CSeq method INVITE does not match .* NEWMETHOD/, status: 400 },
  { file: 'bigcode.dat', section: '3.1.2.19 overlarge response code', parse: /status code "4294967301"/ },
  // 3.2 transaction layer
  { file: 'badbranch.dat', section: '3.2.1 missing transaction identifier', parse: 'ok', answer: 400 },
  // 3.3 application layer
  { file: 'insuf.dat', section: '3.3.1 missing required header fields', parse: /mandatory .* missing/, status: 400 },
  { file: 'unkscm.dat', section: '3.3.2 Request-URI with unknown scheme', parse: 'ok', answer: 416 },
  { file: 'novelsc.dat', section: '3.3.3 Request-URI with known but atypical scheme', parse: 'ok', answer: 416 },
  { file: 'unksm2.dat', section: '3.3.4 unknown URI schemes in header fields', parse: 'ok', answer: 405 },
  { file: 'bext01.dat', section: '3.3.5 Proxy-Require and Require', parse: 'ok', answer: 420 },
  { file: 'invut.dat', section: '3.3.6 unknown Content-Type', parse: 'ok', answer: 415 },
  { file: 'regaut01.dat', section: '3.3.7 unknown authorization scheme', parse: 'ok', answer: 405 },
  { file: 'multi01.dat', section: '3.3.8 multiple values in single-value required fields', parse: /appears more than once/, status: 400 },
  { file: 'mcl01.dat', section: '3.3.9 multiple Content-Length values', parse: /Content-Length header appears more than once/, status: 400 },
  { file: 'bcast.dat', section: '3.3.10 200 OK response with broadcast Via', parse: 'ok' },
  { file: 'zeromf.dat', section: '3.3.11 Max-Forwards of zero', parse: 'ok', answer: null },
  { file: 'cparam01.dat', section: '3.3.12 REGISTER with a contact parameter', parse: 'ok', answer: 405 },
  { file: 'cparam02.dat', section: '3.3.13 REGISTER with a URL parameter', parse: 'ok', answer: 405 },
  { file: 'regescrt.dat', section: '3.3.14 REGISTER with a URL escaped header', parse: 'ok', answer: 405 },
  { file: 'sdp01.dat', section: '3.3.15 unacceptable Accept offering', parse: 'ok', answer: 406 },
  // 3.4.1: RFC 2543 syntax parses (no branch, no From tag, no Content-Length, no Max-Forwards), but
  // the INVITE names no Contact, so there is no remote target for the dialog (RFC 3261 8.1.1.8)
  { file: 'inv2543.dat', section: '3.4.1 INVITE with RFC 2543 syntax', parse: 'ok', answer: 400 },
];

/** the serializer strips NUL from display names (never written to the wire); intmeth.dat has one */
function withoutNulInDisplayNames(m: SipMessage): SipMessage {
  const strip = (na: NameAddr): NameAddr =>
    na.displayName === undefined ? na : { ...na, displayName: na.displayName.replace(/\0/g, '') };
  return { ...m, from: strip(m.from), to: strip(m.to) };
}

/** the door intercom's profile: no registrar, no MESSAGE; REGISTER therefore gets 405 (RFC 4475 3.3.7) */
const UA = {
  supported: ['replaces', 'timer'],
  accept: ['application/sdp'],
  allow: ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO'],
};

describe('RFC 4475 torture messages', () => {
  it('fixtures match SHA256SUMS and the table covers all 49 messages', () => {
    const sums = read('SHA256SUMS').toString('utf8').trim().split('\n');
    expect(sums).toHaveLength(49);
    for (const line of sums) {
      const [hash, name] = line.trim().split(/\s+/);
      expect(createHash('sha256').update(read(name)).digest('hex'), name).toBe(hash);
    }
    const files = readdirSync(DIR).filter((f) => f.endsWith('.dat')).sort();
    expect(TABLE.map((r) => r.file).sort()).toEqual(files);
  });

  for (const row of TABLE) {
    const verdict = row.parse === 'ok' ? 'accepts' : 'rejects';
    it(`${verdict} ${row.file} (RFC 4475 ${row.section})`, () => {
      const r = parseMessage(read(row.file));
      if (row.parse === 'ok') {
        if (!r.ok) throw new Error(`expected ${row.file} to parse: ${r.reason}`);
        if (r.message.kind === 'request') {
          const answer = checkRequest(r.message, UA);
          expect(answer?.status ?? null).toBe(row.answer);
        } else {
          expect(row.answer).toBeUndefined();
        }
        // what we accept we can write back, and it reads the same
        const again = parseMessage(serializeMessage(r.message));
        expect(again.ok).toBe(true);
        if (again.ok) expect(again.message).toEqual(withoutNulInDisplayNames(r.message));
      } else {
        expect(r.ok).toBe(false);
        if (r.ok) return;
        expect(r.reason).toMatch(row.parse);
        expect(r.status).toBe(row.status);
      }
    });
  }
});
