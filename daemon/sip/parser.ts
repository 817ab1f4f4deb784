/**
 * SIP message parser (RFC 3261 7, 25; RFC 4475 torture cases). It never throws: every problem
 * comes back as a reason sentence, with the status a UA should answer when the message was a
 * request (400, or 505 for another SIP version).
 *
 * The typed fields (Via, From, To, Call-ID, CSeq) and the headers validity depends on
 * (Content-Length, Max-Forwards, Contact, Route, Record-Route, Content-Type, Date, Expires) are
 * parsed eagerly; all other headers are kept raw under their canonical names.
 */
import { isToken } from './chars.js';
import {
  canonicalHeaderName, H_CALL_ID, H_CONTACT, H_CONTENT_LENGTH, H_CONTENT_TYPE, H_CSEQ, H_DATE, H_EXPIRES, H_FROM,
  H_MAX_FORWARDS, H_MIN_EXPIRES, H_OTHER, H_RECORD_ROUTE, H_ROUTE, H_TO, H_VIA, headerInfo,
} from './header-names.js';
import {
  callIdError, contentLengthOrError, contentTypeError, cseqOrError, dateError, deltaSecondsError, maxForwardsOrError,
} from './header-values.js';
import { nameAddrOrError, splitList } from './name-addr.js';
import type { CSeq, Header, NameAddr, ParseResult, SipMessage, Via } from './types.js';
import { uriOrError } from './uri.js';
import { viaOrError } from './via.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');

class Reject {
  constructor(readonly reason: string, readonly status?: number) {}
}

interface StartLine {
  kind: 'request' | 'response';
  method: string;
  uri: string;
  status: number;
  reason: string;
}

function toBuffer(data: Uint8Array | string): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Parse one SIP message (a UDP datagram, or one message cut from a stream by StreamFramer). */
export function parseMessage(data: Uint8Array | string): ParseResult {
  let lines: string[] | undefined;
  try {
    const buf = toBuffer(data);
    let start = 0;
    // RFC 3261 7.5: CRLFs before the start-line are ignored
    while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;
    if (start >= buf.length) return { ok: false, reason: 'the message is empty' };
    let headEnd = buf.indexOf(CRLFCRLF, start);
    let missingBlank = false;
    if (headEnd < 0) {
      if (buf.length >= 2 && buf[buf.length - 2] === 13 && buf[buf.length - 1] === 10) {
        headEnd = buf.length - 2;
        missingBlank = true;
      } else {
        const firstLine = buf.toString('latin1', start, Math.min(buf.length, start + 200)).split('\r\n')[0];
        const req = looksLikeRequest(firstLine);
        return {
          ok: false,
          reason: 'the header section does not end with an empty line (CRLF CRLF)',
          ...(req ? { status: 400 } : {}),
        };
      }
    }
    lines = splitLines(buf.toString('utf8', start, headEnd));
    const head = { contentLength: undefined as number | undefined };
    const msg = parseHead(lines, head);
    const bodyStart = missingBlank ? buf.length : headEnd + 4;
    const available = buf.length - bodyStart;
    const cl = head.contentLength;
    let bodyLen = available;
    if (cl !== undefined) {
      if (cl > available) {
        throw new Reject(`Content-Length ${cl} is larger than the ${available} bytes of body that arrived`);
      }
      bodyLen = cl; // RFC 3261 18.3: octets beyond Content-Length in a datagram are discarded
    }
    if (missingBlank) throw new Reject('the header section does not end with an empty line (CRLF CRLF)');
    const body = new Uint8Array(bodyLen);
    if (bodyLen > 0) body.set(buf.subarray(bodyStart, bodyStart + bodyLen));
    msg.body = body;
    return { ok: true, message: msg };
  } catch (err) {
    const headers = lines ? rawHeaders(lines) : undefined;
    if (err instanceof Reject) {
      const status = err.status ?? (looksLikeRequest(lines?.[0]) ? 400 : undefined);
      return { ok: false, reason: err.reason, ...(status ? { status } : {}), ...(headers ? { headers } : {}) };
    }
    return { ok: false, reason: `the message could not be parsed (${String(err).slice(0, 100)})` };
  }
}

function looksLikeRequest(line: string | undefined): boolean {
  if (!line || line.startsWith('SIP/')) return false;
  const sp = line.indexOf(' ');
  return sp > 0 && isToken(line.slice(0, sp));
}

const BARE_CR_OR_LF = /\r(?!\n)|(?<!\r)\n/;

/** split the header section at CRLF and unfold continuation lines (RFC 3261 7.3.1) */
function splitLines(head: string): string[] {
  if (BARE_CR_OR_LF.test(head)) throw new Reject('the header section contains a bare CR or LF (lines end with CRLF)');
  // RFC 3261 25.1: NUL appears only escaped, as a quoted-pair (RFC 4475 3.1.1.2 has one)
  for (let z = head.indexOf('\0'); z >= 0; z = head.indexOf('\0', z + 1)) {
    if (head.charCodeAt(z - 1) !== 92) throw new Reject('the header section contains a NUL byte outside a quoted-pair');
  }
  const raw = head.split('\r\n');
  if (head.indexOf('\r\n ') < 0 && head.indexOf('\r\n\t') < 0) return raw; // nothing folded
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i];
    const c = line.charCodeAt(0);
    if ((c === 32 || c === 9) && out.length > 1) {
      out[out.length - 1] += ' ' + line.trim();
    } else {
      out.push(line);
    }
  }
  return out;
}

function parseStartLine(line: string): StartLine {
  if (line.startsWith('SIP/')) {
    const sp1 = line.indexOf(' ');
    const version = sp1 < 0 ? line : line.slice(0, sp1);
    if (!/^SIP\/\d+\.\d+$/.test(version)) throw new Reject(`status line "${clip(line)}" has an invalid SIP version`);
    if (version !== 'SIP/2.0') throw new Reject(`the response uses ${version}; only SIP/2.0 is supported`);
    if (sp1 < 0) throw new Reject('the status line has no status code');
    let sp2 = line.indexOf(' ', sp1 + 1);
    if (sp2 < 0) sp2 = line.length; // tolerate a missing SP before an empty Reason-Phrase
    const code = line.slice(sp1 + 1, sp2);
    if (!/^[1-6]\d\d$/.test(code)) throw new Reject(`status code "${clip(code)}" is not a number from 100 to 699`);
    return { kind: 'response', method: '', uri: '', status: Number(code), reason: line.slice(sp2 + 1) };
  }
  // Request-Line = Method SP Request-URI SP SIP-Version (single spaces, RFC 3261 25.1)
  const sp1 = line.indexOf(' ');
  if (sp1 <= 0) throw new Reject(`start line "${clip(line)}" is neither a request nor a status line`);
  const method = line.slice(0, sp1);
  if (!isToken(method)) throw new Reject(`method "${clip(method)}" is not a token`);
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp2 < 0) throw new Reject('the request line has no SIP version');
  if (sp2 === sp1 + 1) throw new Reject('the request line has more than one SP between method and Request-URI');
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (version.length === 0) throw new Reject('the request line has more than one SP before the SIP version, or ends with SP');
  if (version.indexOf(' ') >= 0 || version.indexOf('\t') >= 0) {
    throw new Reject(/^\s*SIP\//i.test(version) || version.trimEnd() !== version
      ? 'the request line has extra whitespace (trailing SP or SP inside the Request-URI)'
      : 'the Request-URI contains whitespace');
  }
  if (version === 'SIP/2.0') return { kind: 'request', method, uri, status: 0, reason: '' };
  if (!/^SIP\/\d+\.\d+$/i.test(version)) {
    throw new Reject(/^SIP\//i.test(version) ? `SIP version "${clip(version)}" is malformed` : 'the Request-URI contains whitespace');
  }
  if (version.toUpperCase() !== 'SIP/2.0') throw new Reject(`the request uses ${version}; only SIP/2.0 is supported`, 505);
  return { kind: 'request', method, uri, status: 0, reason: '' };
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function parseHead(lines: string[], out: { contentLength: number | undefined }): SipMessage {
  const sl = parseStartLine(lines[0]);
  const via: Via[] = [];
  const headers: Header[] = [];
  let from: NameAddr | undefined;
  let to: NameAddr | undefined;
  let callId: string | undefined;
  let cseq: CSeq | undefined;
  let contentLength: number | undefined;
  let seen = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon < 0) throw new Reject(`header line ${i + 1} "${clip(line)}" has no colon`);
    let ne = colon;
    while (ne > 0 && (line.charCodeAt(ne - 1) === 32 || line.charCodeAt(ne - 1) === 9)) ne--;
    const rawName = line.slice(0, ne);
    const info = headerInfo(rawName);
    if (info === undefined) throw new Reject(`header name "${clip(rawName)}" is not a token`);
    const value = line.slice(colon + 1).trim();
    const name = info.name;
    if (info.singleBit !== 0) {
      if ((seen & info.singleBit) !== 0) throw new Reject(`the ${name} header appears more than once`);
      seen |= info.singleBit;
    }
    switch (info.code) {
      case H_VIA:
        for (const item of splitList(value)) {
          if (item.length === 0) throw new Reject('a Via header has an empty value');
          const v = viaOrError(item);
          if (typeof v === 'string') throw new Reject(v);
          via.push(v);
        }
        continue;
      case H_FROM:
      case H_TO: {
        const na = nameAddrOrError(value);
        if (typeof na === 'string') throw new Reject(`the ${name} header is invalid: ${na}`);
        if (info.code === H_FROM) from = na;
        else to = na;
        continue;
      }
      case H_CALL_ID: {
        const err = callIdError(value);
        if (err) throw new Reject(err);
        callId = value;
        continue;
      }
      case H_CSEQ: {
        const c = cseqOrError(value);
        if (typeof c === 'string') throw new Reject(c);
        cseq = c;
        continue;
      }
      case H_CONTENT_LENGTH: {
        const n = contentLengthOrError(value);
        if (typeof n === 'string') throw new Reject(n);
        contentLength = n;
        continue;
      }
      case H_OTHER:
        break;
      default:
        checkOther(info.code, name, value);
    }
    headers.push({ name, value });
  }
  if (via.length === 0) throw new Reject('the mandatory Via header is missing');
  if (!from) throw new Reject('the mandatory From header is missing');
  if (!to) throw new Reject('the mandatory To header is missing');
  if (callId === undefined) throw new Reject('the mandatory Call-ID header is missing');
  if (!cseq) throw new Reject('the mandatory CSeq header is missing');
  let msg: SipMessage;
  if (sl.kind === 'request') {
    // RFC 3261 8.2 / RFC 4475 3.1.2.17-18: CSeq method must match the request method
    if (cseq.method !== sl.method) {
      throw new Reject(`the CSeq method ${cseq.method} does not match the request method ${sl.method}`);
    }
    const uri = uriOrError(sl.uri);
    if (typeof uri === 'string') throw new Reject(`the Request-URI is invalid: ${uri}`);
    // RFC 3261 19.1.5: headers are not allowed in a Request-URI (RFC 4475 3.1.2.11)
    for (const _ in uri.headers) throw new Reject('the Request-URI contains URI headers ("?...")');
    msg = { kind: 'request', method: sl.method, uri, version: 'SIP/2.0', via, from, to, callId, cseq, headers, body: EMPTY };
  } else {
    msg = { kind: 'response', status: sl.status, reason: sl.reason, version: 'SIP/2.0', via, from, to, callId, cseq, headers, body: EMPTY };
  }
  out.contentLength = contentLength;
  return msg;
}

const EMPTY = new Uint8Array(0);

/** grammar checks for headers that are kept raw but that validity depends on */
function checkOther(code: number, name: string, value: string): void {
  let err: string | undefined;
  switch (code) {
    case H_MAX_FORWARDS: {
      const n = maxForwardsOrError(value);
      if (typeof n === 'string') err = n;
      break;
    }
    case H_CONTACT:
      if (value === '*') break;
    // falls through
    case H_ROUTE:
    case H_RECORD_ROUTE:
      for (const item of splitList(value)) {
        if (item.length === 0) {
          err = `a ${name} header has an empty value`;
          break;
        }
        const na = nameAddrOrError(item);
        if (typeof na === 'string') {
          err = `the ${name} header is invalid: ${na}`;
          break;
        }
      }
      break;
    case H_CONTENT_TYPE:
      err = contentTypeError(value);
      break;
    case H_DATE:
      err = dateError(value);
      break;
    case H_EXPIRES:
    case H_MIN_EXPIRES:
      err = deltaSecondsError(name, value);
      break;
  }
  if (err) throw new Reject(err);
}

/** header fields as raw canonical name/value pairs, for answering a message that failed to parse */
function rawHeaders(lines: string[]): Header[] | undefined {
  const out: Header[] = [];
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon <= 0) continue;
    out.push({ name: canonicalHeaderName(lines[i].slice(0, colon).trim()), value: lines[i].slice(colon + 1).trim() });
  }
  return out.length > 0 ? out : undefined;
}
