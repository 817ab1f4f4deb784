/**
 * Grammar checks for the single-value headers the parser reads eagerly (RFC 3261 20, 25.1).
 * Each returns the parsed value or a reason sentence; none throws.
 */
import { C_TOKEN, C_WORD, isClass, isToken, isWsp } from './chars.js';
import type { CSeq } from './types.js';

/** 1*DIGIT with at most maxDigits digits; -1 when not */
export function digits(s: string, maxDigits: number): number {
  if (s.length === 0 || s.length > maxDigits) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** RFC 3261 8.1.1.5: CSeq = 1*DIGIT LWS Method; the number is below 2**31 */
export function cseqOrError(v: string): CSeq | string {
  let i = 0;
  let seq = 0;
  while (i < v.length) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) break;
    seq = seq * 10 + (c - 48);
    i++;
  }
  if (i === 0) return `CSeq "${v}" does not start with a number`;
  if (i > 10 || seq >= 2 ** 31) return `CSeq number ${v.slice(0, i)} is larger than 2**31-1`;
  const ws = i;
  while (i < v.length && isWsp(v.charCodeAt(i))) i++;
  if (i === ws) return `CSeq "${v}" has no space between number and method`;
  const method = v.slice(i);
  if (!isToken(method)) return `CSeq "${v}" has an invalid method`;
  return { seq, method };
}

/** RFC 3261 25.1: callid = word [ "@" word ] */
export function callIdError(v: string): string | undefined {
  if (v.length === 0) return 'Call-ID is empty';
  let at = -1;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 64 && at < 0 && i > 0) {
      at = i;
      continue;
    }
    if (!isClass(c, C_WORD)) return `Call-ID "${v.slice(0, 60)}" contains an invalid character`;
  }
  if (at === v.length - 1) return `Call-ID "${v.slice(0, 60)}" ends with "@"`;
  return undefined;
}

/** RFC 3261 20.22: Max-Forwards is 0..255 */
export function maxForwardsOrError(v: string): number | string {
  const n = digits(v, 10);
  if (n < 0) return `Max-Forwards "${v}" is not a number`;
  if (n > 255) return `Max-Forwards ${v} is larger than 255`;
  return n;
}

/** RFC 3261 20.14: Content-Length = 1*DIGIT */
export function contentLengthOrError(v: string): number | string {
  const n = digits(v, 10);
  if (n < 0) return `Content-Length "${v}" is not a non-negative number`;
  return n;
}

/** RFC 3261 20.15: media-type = m-type SLASH m-subtype *(SEMI m-parameter) (checked loosely for params) */
export function contentTypeError(v: string): string | undefined {
  const slash = v.indexOf('/');
  if (slash <= 0) return `Content-Type "${v}" is not a media type`;
  const type = v.slice(0, slash).trim();
  let end = v.indexOf(';', slash);
  if (end < 0) end = v.length;
  const sub = v.slice(slash + 1, end).trim();
  if (!isToken(type) || !isToken(sub)) return `Content-Type "${v}" is not a media type`;
  return undefined;
}

const DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/;

/** RFC 3261 20.17: SIP-date is an RFC 1123 date and always in GMT */
export function dateError(v: string): string | undefined {
  if (DATE.test(v)) return undefined;
  if (/ [A-Z]{2,4}$/.test(v) && !v.endsWith(' GMT')) return `Date "${v}" is not in GMT (RFC 3261 20.17)`;
  return `Date "${v}" is not an RFC 1123 date`;
}

/** delta-seconds (Expires, Min-Expires) */
export function deltaSecondsError(name: string, v: string): string | undefined {
  return digits(v, 4096) < 0 ? `${name} "${v.slice(0, 40)}" is not a number of seconds` : undefined;
}

/** a method or option tag list item */
export function tokenError(name: string, v: string): string | undefined {
  for (let i = 0; i < v.length; i++) {
    if (!isClass(v.charCodeAt(i), C_TOKEN)) return `${name} value "${v}" is not a token`;
  }
  return v.length === 0 ? `${name} has an empty value` : undefined;
}
