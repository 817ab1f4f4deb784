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
