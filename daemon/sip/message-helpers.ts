/**
 * Building and inspecting messages: header access by name (case-insensitive, compact forms
 * accepted, list values split correctly), requests (RFC 3261 8.1.1), responses (8.2.6) and
 * identifiers (branch 8.1.1.7, tag 19.3, Call-ID 8.1.1.4).
 */
import { randomBytes } from 'node:crypto';
import { PortierError } from '../util/errors.js';
import { hasCrLfNul, isToken } from './chars.js';
import { canonicalHeaderName, LIST_HEADERS } from './header-names.js';
import { formatNameAddr, nameAddrOrError, splitList } from './name-addr.js';
import { reasonPhrase } from './reason-phrases.js';
import { serializeHead } from './serializer.js';
import type { CSeq, Header, NameAddr, SipMessage, SipRequest, SipResponse, SipUri, Via } from './types.js';
import { uriOrError } from './uri.js';
import { formatVia } from './via.js';

export { reasonPhrase };

/** RFC 3261 8.1.1.7: branch IDs start with the magic cookie "z9hG4bK" */
export function newBranch(): string {
  return 'z9hG4bK' + randomBytes(10).toString('base64url');
}

/** RFC 3261 19.3: at least 32 bits of randomness */
export function newTag(): string {
  return randomBytes(6).toString('hex');
}

/** RFC 3261 8.1.1.4: globally unique; `host` is appended as "@host" when given */
export function newCallId(host?: string): string {
  const id = randomBytes(12).toString('hex');
  return host ? `${id}@${host}` : id;
}

const TYPED = new Set(['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Content-Length']);

function typedValues(msg: SipMessage, name: string): string[] {
  switch (name) {
    case 'Via': return msg.via.map(formatVia);
    case 'From': return [formatNameAddr(msg.from)];
    case 'To': return [formatNameAddr(msg.to)];
    case 'Call-ID': return [msg.callId];
    case 'CSeq': return [`${msg.cseq.seq} ${msg.cseq.method}`];
    default: return [String(msg.body.length)];
  }
}

/** The raw value of the first header line with this name (typed fields are formatted). */
export function getHeader(msg: SipMessage, name: string): string | undefined {
  const canon = canonicalHeaderName(name);
  if (TYPED.has(canon)) return typedValues(msg, canon)[0];
  const lower = canon.toLowerCase();
  for (const h of msg.headers) if (h.name.toLowerCase() === lower) return h.value;
  return undefined;
}

/**
 * All values of a header: one per line, and for list headers (Contact, Route, Supported, ...)
 * each line split at commas outside quotes and <> (RFC 3261 7.3.1). Empty items are dropped.
 */
export function getHeaders(msg: SipMessage, name: string): string[] {
  const canon = canonicalHeaderName(name);
  if (TYPED.has(canon)) return typedValues(msg, canon);
  const lower = canon.toLowerCase();
  const split = LIST_HEADERS.has(canon);
  const out: string[] = [];
  for (const h of msg.headers) {
    if (h.name.toLowerCase() !== lower) continue;
    if (!split) out.push(h.value);
    else for (const v of splitList(h.value)) if (v.length > 0) out.push(v);
  }
  return out;
}

/** Contact / Route / Record-Route values parsed; values that do not parse are skipped. */
export function getNameAddrs(msg: SipMessage, name: string): NameAddr[] {
  const out: NameAddr[] = [];
  for (const v of getHeaders(msg, name)) {
    if (v === '*') continue;
    const na = nameAddrOrError(v);
    if (typeof na !== 'string') out.push(na);
  }
  return out;
}

function checkHeader(name: string, value: string): string {
  const canon = canonicalHeaderName(name);
  if (!isToken(canon)) throw new PortierError('BAD_REQUEST', `"${name.slice(0, 40)}" is not a valid header name.`);
  if (hasCrLfNul(value)) throw new PortierError('BAD_REQUEST', `The ${canon} header value contains CR, LF or NUL.`);
  if (TYPED.has(canon)) {
    throw new PortierError('BAD_REQUEST', `${canon} is a typed field of the message; set it there, not as a header.`);
  }
  return canon;
}

/** Append a header line. Throws PortierError('BAD_REQUEST') on CR/LF/NUL or a typed name. */
export function addHeader(msg: SipMessage, name: string, value: string): void {
  msg.headers.push({ name: checkHeader(name, value), value });
}

/** Replace every line of this header with one line (kept at the first one's position). */
export function setHeader(msg: SipMessage, name: string, value: string): void {
  const canon = checkHeader(name, value);
  const lower = canon.toLowerCase();
  const idx = msg.headers.findIndex((h) => h.name.toLowerCase() === lower);
  removeHeader(msg, canon);
  if (idx < 0) msg.headers.push({ name: canon, value });
  else msg.headers.splice(idx, 0, { name: canon, value });
}

/** Remove every line of this header; returns how many were removed. */
export function removeHeader(msg: SipMessage, name: string): number {
  const lower = canonicalHeaderName(name).toLowerCase();
  const before = msg.headers.length;
  msg.headers = msg.headers.filter((h) => h.name.toLowerCase() !== lower);
  return before - msg.headers.length;
}

export type HeaderInput = Header[] | Record<string, string | string[]>;

function headerList(input: HeaderInput | undefined): Header[] {
  if (!input) return [];
  if (Array.isArray(input)) return input.map((h) => ({ name: checkHeader(h.name, h.value), value: h.value }));
  const out: Header[] = [];
  for (const [name, v] of Object.entries(input)) {
    for (const value of Array.isArray(v) ? v : [v]) out.push({ name: checkHeader(name, value), value });
  }
  return out;
}

function toBody(body: Uint8Array | string | undefined): Uint8Array {
  if (body === undefined) return new Uint8Array(0);
  return typeof body === 'string' ? new Uint8Array(Buffer.from(body, 'utf8')) : body;
}

export interface CreateRequestOptions {
  method: string;
  uri: SipUri | string;
  from: NameAddr;
  to: NameAddr;
  callId: string;
  cseq: number | CSeq;
  via: Via | Via[];
  contact?: NameAddr | NameAddr[] | string;
  /** default 70 (RFC 3261 8.1.1.6) */
  maxForwards?: number;
  headers?: HeaderInput;
  body?: Uint8Array | string;
  /** written as Content-Type when a body is given */
  contentType?: string;
}

/**
 * Build a request (RFC 3261 8.1.1). Every value is checked now: CR/LF/NUL or an invalid URI or
 * token throws PortierError('BAD_REQUEST'), so bad config fails at build time, not on the wire.
 */
export function createRequest(o: CreateRequestOptions): SipRequest {
  let uri: SipUri;
  if (typeof o.uri === 'string') {
    const u = uriOrError(o.uri);
    if (typeof u === 'string') throw new PortierError('BAD_REQUEST', `Invalid Request-URI: ${u}.`);
    uri = u;
  } else {
    uri = o.uri;
  }
  const cseq: CSeq = typeof o.cseq === 'number' ? { seq: o.cseq, method: o.method } : o.cseq;
  const headers: Header[] = [{ name: 'Max-Forwards', value: String(o.maxForwards ?? 70) }];
  if (o.contact !== undefined) {
    const value = typeof o.contact === 'string'
      ? o.contact
      : (Array.isArray(o.contact) ? o.contact : [o.contact]).map(formatNameAddr).join(', ');
    headers.push({ name: 'Contact', value: checkValue('Contact', value) });
  }
  headers.push(...headerList(o.headers));
  const body = toBody(o.body);
  if (o.contentType !== undefined) headers.push({ name: 'Content-Type', value: checkValue('Content-Type', o.contentType) });
  const req: SipRequest = {
    kind: 'request', method: o.method, uri, version: 'SIP/2.0',
    via: Array.isArray(o.via) ? o.via : [o.via],
    from: o.from, to: o.to, callId: o.callId, cseq, headers, body,
  };
  serializeHead(req); // validate now (throws PortierError('BAD_REQUEST'))
  return req;
}

function checkValue(name: string, value: string): string {
  if (hasCrLfNul(value)) throw new PortierError('BAD_REQUEST', `The ${name} header value contains CR, LF or NUL.`);
  return value;
}

export interface CreateResponseOptions {
  /** added to To when the request's To has no tag (RFC 3261 8.2.6.2); ignored for 100 */
  toTag?: string;
  headers?: HeaderInput;
  body?: Uint8Array | string;
  contentType?: string;
}

/**
 * Build a response to a request (RFC 3261 8.2.6): Via (all, in order), From, To, Call-ID and CSeq
 * copied; Timestamp copied into 100 (8.2.6.1); Record-Route copied into 101-299 responses to
 * dialog-creating requests (12.1.1).
 */
export function createResponse(req: SipRequest, status: number, reason?: string, o: CreateResponseOptions = {}): SipResponse {
  const to: NameAddr = { ...req.to, params: { ...req.to.params } };
  if (status !== 100 && o.toTag !== undefined && (to.params.tag === undefined || to.params.tag === null)) {
    to.params.tag = o.toTag;
  }
  const headers: Header[] = [];
  if (status === 100) for (const h of req.headers) if (h.name === 'Timestamp') headers.push({ ...h });
  if (status > 100 && status < 300 && (req.method === 'INVITE' || req.method === 'SUBSCRIBE')) {
    for (const h of req.headers) if (h.name === 'Record-Route') headers.push({ ...h });
  }
  headers.push(...headerList(o.headers));
  if (o.contentType !== undefined) headers.push({ name: 'Content-Type', value: checkValue('Content-Type', o.contentType) });
  const res: SipResponse = {
    kind: 'response', status, reason: reason ?? reasonPhrase(status), version: 'SIP/2.0',
    via: req.via.map((v) => ({ ...v, params: { ...v.params } })),
    from: { ...req.from, params: { ...req.from.params } },
    to, callId: req.callId, cseq: { ...req.cseq }, headers, body: toBody(o.body),
  };
  serializeHead(res);
  return res;
}

/**
 * A stateless error response for a request that failed to parse (ParseResult.headers): Via,
 * From, To (with a tag added), Call-ID and CSeq are copied raw. The top Via (where the response
 * goes, RFC 3261 18.2.2) and CSeq (how the client matches it, 17.1.3) are required; From, To and
 * Call-ID are copied when present (RFC 4475 3.3.1 asks for a 400 even when they are missing).
 * Returns undefined when the response cannot be built safely; then the request is dropped.
 */
export function buildRejectResponse(headers: Header[], status: number, reason?: string, toTag = newTag()): Buffer | undefined {
  const pick = (n: string) => headers.filter((h) => h.name === n);
  const via = pick('Via');
  const [from] = pick('From');
  const [to] = pick('To');
  const [callId] = pick('Call-ID');
  const [cseq] = pick('CSeq');
  if (via.length === 0 || !cseq) return undefined;
  const all = [...via, cseq, ...[from, to, callId].filter((h): h is Header => h !== undefined)];
  if (all.some((h) => hasCrLfNul(h.value))) return undefined;
  const phrase = reason ?? reasonPhrase(status);
  if (hasCrLfNul(phrase) || !Number.isInteger(status) || status < 300 || status > 699) return undefined;
  let s = `SIP/2.0 ${status} ${phrase}\r\n`;
  for (const v of via) s += `Via: ${v.value}\r\n`;
  if (from) s += `From: ${from.value}\r\n`;
  if (to) s += `To: ${/;\s*tag\s*=/i.test(to.value) ? to.value : `${to.value};tag=${toTag}`}\r\n`;
  if (callId) s += `Call-ID: ${callId.value}\r\n`;
  s += `CSeq: ${cseq.value}\r\nContent-Length: 0\r\n\r\n`;
  return Buffer.from(s, 'utf8');
}
