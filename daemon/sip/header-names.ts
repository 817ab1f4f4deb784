import { isToken } from './chars.js';

/**
 * Header field names: compact forms (RFC 3261 7.3.3 and the IANA SIP header registry), canonical
 * spelling of the long names, and which headers hold one value or a comma-separated list.
 */

/** compact form (lower case) -> canonical long name */
const COMPACT: Record<string, string> = {
  a: 'Accept-Contact', // RFC 3841
  b: 'Referred-By', // RFC 3892
  c: 'Content-Type',
  d: 'Request-Disposition', // RFC 3841
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact', // RFC 3841
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info', // RFC 4474
  o: 'Event', // RFC 6665
  r: 'Refer-To', // RFC 3515
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events', // RFC 6665
  v: 'Via',
  x: 'Session-Expires', // RFC 4028
  y: 'Identity', // RFC 8224
};

const LONG_NAMES = [
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Allow-Events',
  'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition',
  'Content-Encoding', 'Content-Language', 'Content-Length', 'Content-Type', 'CSeq', 'Date', 'Error-Info',
  'Event', 'Expires', 'From', 'Identity', 'Identity-Info', 'In-Reply-To', 'Max-Forwards', 'Min-Expires',
  'Min-SE', 'MIME-Version', 'Organization', 'P-Asserted-Identity', 'P-Preferred-Identity', 'Path',
  'Priority', 'Privacy', 'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Require', 'RAck', 'Reason',
  'Record-Route', 'Refer-To', 'Referred-By', 'Reject-Contact', 'Replaces', 'Reply-To',
  'Request-Disposition', 'Require', 'Retry-After', 'Route', 'RSeq', 'Server', 'Service-Route',
  'Session-Expires', 'SIP-ETag', 'SIP-If-Match', 'Subject', 'Subscription-State', 'Supported',
  'Timestamp', 'To', 'Unsupported', 'User-Agent', 'Via', 'Warning', 'WWW-Authenticate',
];

const CANONICAL = new Map<string, string>();
for (const n of LONG_NAMES) CANONICAL.set(n.toLowerCase(), n);
for (const [k, v] of Object.entries(COMPACT)) CANONICAL.set(k, v);

/**
 * The canonical name for a header name as written on the wire: compact forms are expanded and
 * known names get their usual spelling; unknown names are kept as written.
 */
export function canonicalHeaderName(name: string): string {
  return CANONICAL.get(name.toLowerCase()) ?? name;
}

/** RFC 3261 20 / 25.1: headers whose grammar allows exactly one value per message. */
export const SINGLE_VALUE_HEADERS: ReadonlySet<string> = new Set([
  'Call-ID', 'CSeq', 'Content-Length', 'Content-Type', 'Content-Disposition', 'Date', 'Expires', 'From',
  'Max-Forwards', 'MIME-Version', 'Min-Expires', 'Organization', 'Priority', 'Reply-To', 'Retry-After',
  'Server', 'Subject', 'Timestamp', 'To', 'User-Agent', 'RSeq', 'RAck', 'Refer-To', 'Session-Expires',
  'Min-SE', 'Event', 'Subscription-State', 'Replaces', 'Referred-By', 'SIP-ETag', 'SIP-If-Match',
]);

/**
 * Headers whose value is a comma-separated list (RFC 3261 7.3.1), so several lines may be combined
 * and one line may carry several values. Others (auth headers, Date, unknown headers) never split.
 */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Allow-Events',
  'Call-Info', 'Contact', 'Content-Encoding', 'Content-Language', 'Error-Info', 'In-Reply-To', 'Path',
  'P-Asserted-Identity', 'P-Preferred-Identity', 'Privacy', 'Proxy-Require', 'Reason', 'Record-Route',
  'Reject-Contact', 'Request-Disposition', 'Require', 'Route', 'Service-Route', 'Supported', 'Unsupported',
  'Via', 'Warning',
]);

/** codes for the headers the parser reads eagerly (0 = kept raw) */
export const H_OTHER = 0;
export const H_VIA = 1;
export const H_FROM = 2;
export const H_TO = 3;
export const H_CALL_ID = 4;
export const H_CSEQ = 5;
export const H_CONTENT_LENGTH = 6;
export const H_MAX_FORWARDS = 7;
export const H_CONTACT = 8;
export const H_ROUTE = 9;
export const H_RECORD_ROUTE = 10;
export const H_CONTENT_TYPE = 11;
export const H_DATE = 12;
export const H_EXPIRES = 13;
export const H_MIN_EXPIRES = 14;

const CODES: Record<string, number> = {
  'Via': H_VIA, 'From': H_FROM, 'To': H_TO, 'Call-ID': H_CALL_ID, 'CSeq': H_CSEQ, 'Content-Length': H_CONTENT_LENGTH,
  'Max-Forwards': H_MAX_FORWARDS, 'Contact': H_CONTACT, 'Route': H_ROUTE, 'Record-Route': H_RECORD_ROUTE,
  'Content-Type': H_CONTENT_TYPE, 'Date': H_DATE, 'Expires': H_EXPIRES, 'Min-Expires': H_MIN_EXPIRES,
};

export interface HeaderInfo {
  /** canonical name */
  name: string;
  /** H_* code of an eagerly parsed header, else H_OTHER */
  code: number;
  /** a distinct bit for single-value headers (for duplicate detection), else 0 */
  singleBit: number;
}

const SINGLE_BITS = new Map<string, number>();
{
  let bit = 1;
  for (const n of SINGLE_VALUE_HEADERS) {
    SINGLE_BITS.set(n, bit);
    bit *= 2; // up to 2**31 entries stay exact in a double
  }
}

const INFO_CACHE = new Map<string, HeaderInfo>();

/**
 * Canonical name, parser code and single-value bit for a header name as written on the wire;
 * undefined when the name is not a token.
 */
export function headerInfo(raw: string): HeaderInfo | undefined {
  let info = INFO_CACHE.get(raw);
  if (info !== undefined) return info;
  if (!isToken(raw)) return undefined;
  const name = canonicalHeaderName(raw);
  info = { name, code: Object.hasOwn(CODES, name) ? CODES[name] : H_OTHER, singleBit: SINGLE_BITS.get(name) ?? 0 };
  if (INFO_CACHE.size < 1024) INFO_CACHE.set(raw, info); // bounded: names are attacker-chosen
  return info;
}
