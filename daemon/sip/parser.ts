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
import { canonicalHeaderName, SINGLE_VALUE_HEADERS } from './header-names.js';
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
  let isRequest = false;
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
    isRequest = looksLikeRequest(lines[0]);
    const msg = parseHead(lines);
    const bodyStart = missingBlank ? buf.length : headEnd + 4;
    const available = buf.length - bodyStart;
    const cl = (msg as MsgWithLength).__contentLength;
    delete (msg as MsgWithLength).__contentLength;
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
      const status = err.status ?? (isRequest ? 400 : undefined);
      return { ok: false, reason: err.reason, ...(status ? { status } : {}), ...(headers ? { headers } : {}) };
    }
    return { ok: false, reason: `the message could not be parsed (${String(err).slice(0, 100)})` };
  }
}

type MsgWithLength = SipMessage & { __contentLength?: number };

function looksLikeRequest(line: string | undefined): boolean {
  if (!line || line.startsWith('SIP/')) return false;
  const sp = line.indexOf(' ');
  return sp > 0 && isToken(line.slice(0, sp));
}

/** split the header section at CRLF and unfold continuation lines (RFC 3261 7.3.1) */
function splitLines(head: string): string[] {
  const raw = head.split('\r\n');
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i];
    if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
      throw new Reject(`line ${i + 1} contains a bare CR or LF`);
    }
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
  if (!/^SIP\/\d+\.\d+$/i.test(version)) {
    throw new Reject(/^SIP\//i.test(version) ? `SIP version "${clip(version)}" is malformed` : 'the Request-URI contains whitespace');
  }
  if (version.toUpperCase() !== 'SIP/2.0') throw new Reject(`the request uses ${version}; only SIP/2.0 is supported`, 505);
  return { kind: 'request', method, uri, status: 0, reason: '' };
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function headerLine(line: string, index: number): [string, string] {
  const colon = line.indexOf(':');
  if (colon < 0) throw new Reject(`header line ${index + 1} "${clip(line)}" has no colon`);
  let ne = colon;
  while (ne > 0 && (line.charCodeAt(ne - 1) === 32 || line.charCodeAt(ne - 1) === 9)) ne--;
  const name = line.slice(0, ne);
  if (!isToken(name)) throw new Reject(`header name "${clip(name)}" is not a token`);
  return [name, line.slice(colon + 1).trim()];
}

function parseHead(lines: string[]): SipMessage {
  const sl = parseStartLine(lines[0]);
  const via: Via[] = [];
  const headers: Header[] = [];
  let from: NameAddr | undefined;
  let to: NameAddr | undefined;
  let callId: string | undefined;
  let cseq: CSeq | undefined;
  let contentLength: number | undefined;
  const seen = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    const [rawName, value] = headerLine(lines[i], i);
    const name = canonicalHeaderName(rawName);
    if (SINGLE_VALUE_HEADERS.has(name)) {
      if (seen.has(name)) throw new Reject(`the ${name} header appears more than once`);
      seen.add(name);
    }
    switch (name) {
      case 'Via':
        for (const item of splitList(value)) {
          if (item.length === 0) throw new Reject('a Via header has an empty value');
          const v = viaOrError(item);
          if (typeof v === 'string') throw new Reject(v);
          via.push(v);
        }
        continue;
      case 'From':
      case 'To': {
        const na = nameAddrOrError(value);
        if (typeof na === 'string') throw new Reject(`the ${name} header is invalid: ${na}`);
        if (name === 'From') from = na;
        else to = na;
        continue;
      }
      case 'Call-ID': {
        const err = callIdError(value);
        if (err) throw new Reject(err);
        callId = value;
        continue;
      }
      case 'CSeq': {
        const c = cseqOrError(value);
        if (typeof c === 'string') throw new Reject(c);
        cseq = c;
        continue;
      }
      case 'Content-Length': {
        const n = contentLengthOrError(value);
        if (typeof n === 'string') throw new Reject(n);
        contentLength = n;
        continue;
      }
      default:
        checkOther(name, value);
        headers.push({ name, value });
    }
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
    if (Object.keys(uri.headers).length > 0) throw new Reject('the Request-URI contains URI headers ("?...")');
    msg = { kind: 'request', method: sl.method, uri, version: 'SIP/2.0', via, from, to, callId, cseq, headers, body: EMPTY };
  } else {
    msg = { kind: 'response', status: sl.status, reason: sl.reason, version: 'SIP/2.0', via, from, to, callId, cseq, headers, body: EMPTY };
  }
  if (contentLength !== undefined) (msg as MsgWithLength).__contentLength = contentLength;
  return msg;
}

const EMPTY = new Uint8Array(0);

/** grammar checks for headers that are kept raw but that validity depends on */
function checkOther(name: string, value: string): void {
  let err: string | undefined;
  switch (name) {
    case 'Max-Forwards': {
      const n = maxForwardsOrError(value);
      if (typeof n === 'string') err = n;
      break;
    }
    case 'Contact':
      if (value === '*') break;
    // falls through
    case 'Route':
    case 'Record-Route':
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
    case 'Content-Type':
      err = contentTypeError(value);
      break;
    case 'Date':
      err = dateError(value);
      break;
    case 'Expires':
    case 'Min-Expires':
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
