/**
 * What a UAS answers to a request that parsed (RFC 3261 8.2, RFC 4475 3.2 and 3.3): null when it
 * may be processed, otherwise the status, reason and the headers the rejection must carry.
 */
import { reasonPhrase } from './reason-phrases.js';
import { digits } from './header-values.js';
import { getHeader, getHeaders } from './message-helpers.js';
import type { Header, SipRequest } from './types.js';

export interface CheckOptions {
  /** option tags this UA supports (Require check, RFC 3261 8.2.2.3) */
  supported: string[];
  /** body types this UA accepts, e.g. ["application/sdp"] (RFC 3261 8.2.3) */
  accept: string[];
  /** Request-URI schemes handled (RFC 3261 8.2.2.1); default ["sip", "sips"] */
  schemes?: string[];
  /** methods handled; when given, others get 405 with Allow (RFC 3261 8.2.1) */
  allow?: string[];
  /** body types the answer to an INVITE carries; default ["application/sdp"] (for the Accept check) */
  produce?: string[];
  /** true when acting as a forwarding element: Max-Forwards 0 gets 483 (RFC 3261 16.3) */
  forwarding?: boolean;
  /** size of the received message in bytes and the limit, for 513 (RFC 3261 18.1.1) */
  messageSize?: number;
  maxMessageSize?: number;
  /** warn-agent for Warning headers; default "portier" */
  warnAgent?: string;
}

export interface CheckRejection {
  status: number;
  reason: string;
  headers?: Header[];
}

const KNOWN_METHODS = new Set([
  'INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO',
  'REFER', 'MESSAGE', 'UPDATE',
]);

/** 400 with a reason phrase naming the problem (RFC 3261 21.4.1) */
function badRequest(reason: string): CheckRejection {
  return { status: 400, reason };
}

function reject(status: number, headers?: Header[]): CheckRejection {
  return headers ? { status, reason: reasonPhrase(status), headers } : { status, reason: reasonPhrase(status) };
}

function mediaType(v: string): string {
  const semi = v.indexOf(';');
  return (semi >= 0 ? v.slice(0, semi) : v).trim().toLowerCase();
}

function acceptable(offered: string[], wanted: string): boolean {
  const [type] = wanted.split('/');
  return offered.some((o) => {
    const m = mediaType(o);
    return m === wanted || m === '*/*' || m === `${type}/*`;
  });
}

/** Check a parsed request; null means "go ahead". ACK is never rejected (RFC 3261 17.2.1). */
export function checkRequest(req: SipRequest, o: CheckOptions): CheckRejection | null {
  const method = req.method;
  // RFC 3261 8.2: defensive checks for requests built in memory (the parser already rejects these)
  if (req.version.toUpperCase() !== 'SIP/2.0') return reject(505);
  if (req.via.length === 0 || req.callId.length === 0) return badRequest('Missing mandatory header');
  if (req.cseq.method !== method) return badRequest('CSeq method does not match the request method');
  if (o.maxMessageSize !== undefined && o.messageSize !== undefined && o.messageSize > o.maxMessageSize) {
    return reject(513);
  }
  const mf = getHeader(req, 'Max-Forwards');
  if (mf !== undefined) {
    const n = digits(mf, 10);
    if (n < 0 || n > 255) return badRequest('Invalid Max-Forwards');
    // RFC 4475 3.3.11: an endpoint processes a request with Max-Forwards 0 normally
    if (n === 0 && o.forwarding) return reject(483); // RFC 3261 16.3 item 2
  }
  // RFC 4475 3.2.1: a branch equal to the magic cookie carries no transaction identifier
  const branch = req.via[0].params.branch;
  if (typeof branch === 'string' && branch.toLowerCase() === 'z9hg4bk') {
    return badRequest('Via branch has no transaction identifier');
  }
  if (method === 'ACK') return null;
  // RFC 3261 8.2.1: a method not handled gets 405 with Allow; one not recognized at all, 501
  if (o.allow && !o.allow.includes(method)) {
    if (!KNOWN_METHODS.has(method)) return reject(501);
    return reject(405, [{ name: 'Allow', value: o.allow.join(', ') }]);
  }
  // RFC 3261 8.2.2.1: Request-URI scheme (RFC 4475 3.3.2, 3.3.3)
  const schemes = o.schemes ?? ['sip', 'sips'];
  if (!schemes.includes(req.uri.scheme)) return reject(416);
  // RFC 3261 8.2.2.3: Require (not for CANCEL; ACK handled above) (RFC 4475 3.3.5)
  if (method !== 'CANCEL') {
    const supported = new Set(o.supported.map((s) => s.toLowerCase()));
    const unsupported = getHeaders(req, 'Require').filter((t) => !supported.has(t.toLowerCase()));
    if (unsupported.length > 0) return reject(420, [{ name: 'Unsupported', value: unsupported.join(', ') }]);
  }
  // RFC 3261 8.1.1.8 / 12.1.1: a dialog-creating request names its remote target (RFC 4475 3.4.1:
  // the RFC 2543 INVITE has none; without it there is nowhere to send the BYE)
  if ((method === 'INVITE' || method === 'SUBSCRIBE' || method === 'REFER') && getHeaders(req, 'Contact').length !== 1) {
    return badRequest(getHeaders(req, 'Contact').length === 0 ? 'Missing Contact' : 'More than one Contact');
  }
  // RFC 3261 8.2.3: content processing (RFC 4475 3.3.6)
  if (req.body.length > 0) {
    const ct = getHeader(req, 'Content-Type');
    if (ct === undefined) return badRequest('Body without Content-Type');
    const type = mediaType(ct);
    if (!o.accept.some((a) => a.toLowerCase() === type)) {
      return reject(415, [{ name: 'Accept', value: o.accept.join(', ') }]);
    }
    const encodings = getHeaders(req, 'Content-Encoding').map((e) => e.toLowerCase());
    if (encodings.some((e) => e !== 'identity')) {
      return reject(415, [{ name: 'Accept-Encoding', value: 'identity' }]);
    }
  }
  // RFC 3261 8.2.3 / RFC 4475 3.3.15: the answer must be in a type the client accepts
  if (method === 'INVITE') {
    const accepts = req.headers.some((h) => h.name === 'Accept') ? getHeaders(req, 'Accept') : undefined;
    const produce = o.produce ?? ['application/sdp'];
    if (accepts !== undefined && !produce.some((p) => acceptable(accepts, p))) {
      return withWarning(406, o, `Answer body type ${produce.join(', ')} is not accepted`);
    }
  }
  return null;
}

function withWarning(status: number, o: CheckOptions, text: string): CheckRejection {
  const value = `399 ${o.warnAgent ?? 'portier'} "${text.replace(/["\\]/g, '')}"`;
  return reject(status, [{ name: 'Warning', value }]);
}
