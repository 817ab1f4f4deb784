import { describe, expect, it } from 'vitest';
import { DigestClient, pickChallenge, verifyDigest } from '../../../daemon/sip/digest.js';
import { getHeader, getHeaders, getNameAddrs } from '../../../daemon/sip/message-helpers.js';
import { parseMessage } from '../../../daemon/sip/parser.js';
import { serializeMessage } from '../../../daemon/sip/serializer.js';
import type { SipMessage } from '../../../daemon/sip/types.js';
import { checkRequest } from '../../../daemon/sip/validate.js';

// Messages written by the peers portier meets in the lab (and in the field), byte for byte.

/** sipp 3.6.1 -sn uac, captured on loopback */
const SIPP_INVITE = [
  "INVITE sip:service@127.0.0.1:41999 SIP/2.0",
  "Via: SIP/2.0/UDP 127.0.0.1:41998;branch=z9hG4bK-24875-1-0",
  "From: sipp <sip:sipp@127.0.0.1:41998>;tag=24875SIPpTag001",
  "To: service <sip:service@127.0.0.1:41999>",
  "Call-ID: 1-24875@127.0.0.1",
  "CSeq: 1 INVITE",
  "Contact: sip:sipp@127.0.0.1:41998",
  "Max-Forwards: 70",
  "Subject: Performance Test",
  "Content-Type: application/sdp",
  "Content-Length:   129",
  "",
  "v=0",
  "o=user1 53655765 2353687637 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 6000 RTP/AVP 0",
  "a=rtpmap:0 PCMU/8000",
  "",
].join('\r\n');

/** baresip 1.0.0, captured on loopback */
const BARESIP_REGISTER = [
  "REGISTER sip:127.0.0.1:26001;transport=udp SIP/2.0",
  "Via: SIP/2.0/UDP 127.0.0.1:26010;branch=z9hG4bK20069d7555f5ea09;rport",
  "Contact: <sip:200-0x55dadf02efa0@127.0.0.1:26010>;expires=600",
  "Max-Forwards: 70",
  "To: <sip:200@127.0.0.1:26001>",
  "From: <sip:200@127.0.0.1:26001>;tag=4f396981a0616194",
  "Call-ID: eb1efa042aec0ceb",
  "CSeq: 44963 REGISTER",
  "User-Agent: baresip v1.0.0 (x86_64/linux)",
  "Allow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,REFER",
  "Content-Length: 0",
  "",
  "",
].join('\r\n');

/** baresip 1.0.0, captured on loopback */
const BARESIP_INVITE = [
  "INVITE sip:100@127.0.0.1:26001;transport=udp SIP/2.0",
  "Via: SIP/2.0/UDP 127.0.0.1:26010;branch=z9hG4bK8641698e05f22a63;rport",
  "Contact: <sip:200-0x55dadf02efa0@127.0.0.1:26010>",
  "Max-Forwards: 70",
  "To: <sip:100@127.0.0.1:26001;transport=udp>",
  "From: <sip:200@127.0.0.1:26001>;tag=3448456f07f791f2",
  "Call-ID: da7f91a169363fca",
  "CSeq: 26807 INVITE",
  "User-Agent: baresip v1.0.0 (x86_64/linux)",
  "Allow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,REFER",
  "Supported:",
  "Content-Type: application/sdp",
  "Content-Length: 366",
  "",
  "v=0",
  "o=- 667453933 1427603969 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "a=tool:baresip 1.0.0",
  "m=audio 26102 RTP/AVP 0 8 9 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:9 G722/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
  "a=sendrecv",
  "a=label:1",
  "a=rtcp-rsize",
  "a=ssrc:1756369901 cname:sip:200@127.0.0.1:26001",
  "a=minptime:20",
  "a=ptime:20",
  "",
].join('\r\n');

/** Kamailio 5.6.3 (peer lab config), captured on loopback */
const KAMAILIO_401 = [
  "SIP/2.0 401 Unauthorized",
  "Via: SIP/2.0/UDP 127.0.0.1:41950;branch=z9hG4bKjJlHqugQIS7qWg;rport=41950;received=127.0.0.1",
  "From: \"Front Door\" <sip:door@127.0.0.1>;tag=308586ddfbca",
  "To: <sip:door@127.0.0.1>;tag=61a4650a82245c63b6fa0b7a08516409.d2d4acf4",
  "Call-ID: 162ea9921b08bf0491df42e1@127.0.0.1",
  "CSeq: 1 REGISTER",
  "WWW-Authenticate: Digest realm=\"127.0.0.1\", nonce=\"awYxuWsGMI14tV7DhPfgcBsnYlUIG2wj\"",
  "Server: portier-lab-kamailio",
  "Content-Length: 0",
  "",
  "",
].join('\r\n');

/** Kamailio 5.6.3 (peer lab config), captured on loopback */
const KAMAILIO_200 = [
  "SIP/2.0 200 OK",
  "Via: SIP/2.0/UDP 127.0.0.1:41950;branch=z9hG4bKTvMMBgNh1cz0mA;rport=41950;received=127.0.0.1",
  "From: \"Front Door\" <sip:door@127.0.0.1>;tag=308586ddfbca",
  "To: <sip:door@127.0.0.1>;tag=61a4650a82245c63b6fa0b7a08516409.a53bacf4",
  "Call-ID: 162ea9921b08bf0491df42e1@127.0.0.1",
  "CSeq: 2 REGISTER",
  "Contact: <sip:door@127.0.0.1:41950>;expires=300",
  "Server: portier-lab-kamailio",
  "Content-Length: 0",
  "",
  "",
].join('\r\n');

function parsed(text: string): SipMessage {
  const r = parseMessage(text);
  if (!r.ok) throw new Error(r.reason);
  return r.message;
}

const UA = { supported: ['timer', 'replaces'], accept: ['application/sdp'], allow: ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO'] };

describe('messages from real peers', () => {
  it.each([
    ['sipp INVITE', SIPP_INVITE], ['baresip REGISTER', BARESIP_REGISTER], ['baresip INVITE', BARESIP_INVITE],
    ['Kamailio 401', KAMAILIO_401], ['Kamailio 200', KAMAILIO_200],
  ])('parses the %s and writes it back so that it reads the same', (_name, text) => {
    const m = parsed(text);
    const again = parseMessage(serializeMessage(m));
    expect(again.ok && again.message).toEqual(m);
  });

  it('reads sipp\'s INVITE: token display names, an addr-spec Contact, spaces after the Content-Length colon', () => {
    const m = parsed(SIPP_INVITE);
    expect(m.from.displayName).toBe('sipp');
    expect(getNameAddrs(m, 'Contact')[0].uri).toMatchObject({ user: 'sipp', host: '127.0.0.1', port: 41998 });
    expect(m.body.length).toBe(129);
    expect(m.kind === 'request' && checkRequest(m, UA)).toBeNull();
  });

  it('reads baresip\'s INVITE with its empty Supported header as supporting nothing', () => {
    const m = parsed(BARESIP_INVITE);
    expect(getHeader(m, 'Supported')).toBe('');
    expect(getHeaders(m, 'Supported')).toEqual([]);
    expect(m.kind === 'request' && m.uri.params).toEqual({ transport: 'udp' });
    expect(m.kind === 'request' && checkRequest(m, UA)).toBeNull();
  });

  it('answers Kamailio\'s 401 challenge with credentials Kamailio\'s check would accept', () => {
    const m = parsed(KAMAILIO_401);
    expect(m.via[0].params).toMatchObject({ rport: '41950', received: '127.0.0.1' });
    const ch = pickChallenge(getHeaders(m, 'WWW-Authenticate'));
    if (!ch) throw new Error('no challenge');
    expect(ch).toMatchObject({ realm: '127.0.0.1', algorithm: 'MD5', qop: [] });
    const auth = new DigestClient('door', 'doorpw').authorize(ch, { method: 'REGISTER', uri: 'sip:127.0.0.1:41000' });
    expect(verifyDigest(auth, { method: 'REGISTER', password: 'doorpw', realm: '127.0.0.1', nonce: ch.nonce, uri: 'sip:127.0.0.1:41000' })).toBe(true);
  });
});
