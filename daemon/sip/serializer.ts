/**
 * SIP message serializer: start line, the typed headers (Via, From, To, Call-ID, CSeq), the other
 * headers in order, then Content-Length computed from the body (RFC 3261 7, 20.14).
 *
 * Nothing that reaches the wire may contain CR, LF or NUL outside the line structure: every value
 * is checked and a violation throws PortierError('BAD_REQUEST'), so a configured display name like
 * "Door\r\nX-Evil: 1" can never inject a header.
 */
import { PortierError } from '../util/errors.js';
import { hasCrLfNul, isToken } from './chars.js';
import { H_CONTENT_LENGTH, H_VIA, headerInfo } from './header-names.js';
import { callIdError } from './header-values.js';
import { formatNameAddr } from './name-addr.js';
import type { SipMessage } from './types.js';
import { formatUri } from './uri.js';
import { formatVia } from './via.js';

function bad(what: string): never {
  throw new PortierError('BAD_REQUEST', `Cannot write the SIP message: ${what}.`);
}

/** the head (start line and headers, ending with the empty line) as a string */
export function serializeHead(msg: SipMessage): string {
  let s: string;
  if (msg.kind === 'request') {
    if (!isToken(msg.method)) bad(`method "${msg.method.slice(0, 30)}" is not a token`);
    s = msg.method + ' ' + formatUri(msg.uri) + ' SIP/2.0\r\n';
  } else {
    if (!Number.isInteger(msg.status) || msg.status < 100 || msg.status > 699) bad(`status ${msg.status} is out of range`);
    if (hasCrLfNul(msg.reason)) bad('the reason phrase contains CR, LF or NUL');
    s = 'SIP/2.0 ' + msg.status + ' ' + msg.reason + '\r\n';
  }
  for (const v of msg.via) s += 'Via: ' + formatVia(v) + '\r\n';
  s += 'From: ' + formatNameAddr(msg.from) + '\r\n';
  s += 'To: ' + formatNameAddr(msg.to) + '\r\n';
  if (callIdError(msg.callId)) bad(`Call-ID "${msg.callId.slice(0, 40)}" is invalid`);
  s += 'Call-ID: ' + msg.callId + '\r\n';
  const cs = msg.cseq;
  if (!Number.isInteger(cs.seq) || cs.seq < 0 || cs.seq >= 2 ** 31) bad(`CSeq number ${cs.seq} is out of range`);
  if (!isToken(cs.method)) bad(`CSeq method "${cs.method.slice(0, 30)}" is not a token`);
  s += 'CSeq: ' + cs.seq + ' ' + cs.method + '\r\n';
  for (const h of msg.headers) {
    const info = headerInfo(h.name);
    if (info === undefined) bad(`header name "${h.name.slice(0, 30)}" is not a token`);
    // typed fields are written above and Content-Length is derived from the body below
    if (info.code >= H_VIA && info.code <= H_CONTENT_LENGTH) continue;
    if (hasCrLfNul(h.value)) bad(`the ${h.name} header value contains CR, LF or NUL`);
    s += h.name + ': ' + h.value + '\r\n';
  }
  return s + 'Content-Length: ' + msg.body.length + '\r\n\r\n';
}

/** Serialize a message to bytes; Content-Length is computed from the body. */
export function serializeMessage(msg: SipMessage): Buffer {
  const head = serializeHead(msg);
  if (msg.body.length === 0) return Buffer.from(head, 'utf8');
  const headLen = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLen + msg.body.length);
  out.write(head, 0, 'utf8');
  out.set(msg.body, headLen);
  return out;
}
