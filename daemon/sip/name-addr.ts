/**
 * Header grammar shared by From, To, Contact, Route, Record-Route and Via (RFC 3261 25.1):
 * name-addr / addr-spec, quoted strings, header parameters, comma-separated lists.
 * Parsers return a reason instead of throwing; formatters refuse CR/LF (header injection).
 */
import { PortierError } from '../util/errors.js';
import { C_TOKEN, hasCrLfNul, isClass, isToken, isWsp, setKey } from './chars.js';
import type { NameAddr, Params } from './types.js';
import { formatUri, uriOrError, type Parsed } from './uri.js';

export function skipWs(s: string, i: number): number {
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  return i;
}

/** index just past the closing quote of the quoted-string starting at i, or -1 */
export function endOfQuoted(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 92 /* \ */) {
      const n = s.charCodeAt(j + 1);
      if (j + 1 >= s.length || n === 13 || n === 10) return -1;
      j++;
    } else if (c === 34) {
      return j + 1;
    } else if (c < 32 && c !== 9) {
      return -1; // RFC 3261 25.1: qdtext holds no control characters outside a quoted-pair
    }
  }
  return -1;
}

function unquote(q: string): string {
  if (q.indexOf('\\') < 0) return q.slice(1, -1);
  let out = '';
  for (let j = 1; j < q.length - 1; j++) {
    const c = q[j];
    if (c === '\\') j++;
    out += q[j];
  }
  return out;
}

/**
 * Split a list header value at commas that are outside quoted strings and <...>.
 * Items are trimmed; empty items are kept (callers decide whether they are an error).
 */
export function splitList(value: string): string[] {
  if (value.indexOf(',') < 0) return [value.trim()];
  const out: string[] = [];
  let start = 0;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34 /* " */ && !angle) {
      const e = endOfQuoted(value, i);
      if (e < 0) break;
      i = e - 1;
    } else if (c === 60 /* < */) {
      angle = true;
    } else if (c === 62 /* > */) {
      angle = false;
    } else if (c === 44 /* , */ && !angle) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out;
}

function isGenValueChar(c: number): boolean {
  return isClass(c, C_TOKEN) || c === 58 || c === 91 || c === 93; // token / host (":" "[" "]")
}

/**
 * Parse `*(SEMI generic-param)` from s at i (RFC 3261 25.1). Names are lower-cased; quoted values
 * keep their quotes. Returns the params or a reason.
 */
export function parseHeaderParams(s: string, i: number, into: Params): Params | string {
  i = skipWs(s, i);
  while (i < s.length) {
    if (s.charCodeAt(i) !== 59 /* ; */) return `unexpected "${s.slice(i, i + 20)}" where a parameter was expected`;
    i = skipWs(s, i + 1);
    const ns = i;
    while (i < s.length && isClass(s.charCodeAt(i), C_TOKEN)) i++;
    if (i === ns) return 'an empty parameter';
    const name = s.slice(ns, i).toLowerCase();
    i = skipWs(s, i);
    let value: string | null = null;
    if (s.charCodeAt(i) === 61 /* = */) {
      i = skipWs(s, i + 1);
      if (s.charCodeAt(i) === 34) {
        const e = endOfQuoted(s, i);
        if (e < 0) return `an unterminated quoted value for parameter "${name}"`;
        value = s.slice(i, e);
        i = e;
      } else {
        const vs = i;
        while (i < s.length && isGenValueChar(s.charCodeAt(i))) i++;
        if (i === vs) return `an empty value for parameter "${name}"`;
        value = s.slice(vs, i);
      }
      i = skipWs(s, i);
    }
    setKey(into, name, value);
  }
  return into;
}

/**
 * Parse one name-addr or addr-spec followed by header parameters (From, To, Contact, Route ...).
 * In the addr-spec form the URI ends at the first ";" or whitespace and must not contain "?" or
 * "," (RFC 3261 20: such URIs must be enclosed in "<" and ">").
 */
export function nameAddrOrError(s: string): NameAddr | string {
  let i = skipWs(s, 0);
  let displayName: string | undefined;
  let uriText: string;
  const c0 = s.charCodeAt(i);
  let lt = i;
  while (lt < s.length && (isClass(s.charCodeAt(lt), C_TOKEN) || isWsp(s.charCodeAt(lt)))) lt++;
  if (s.charCodeAt(lt) !== 60 /* < */) lt = -1;
  if (c0 === 34 /* " */ || lt >= 0) {
    if (c0 === 34) {
      const e = endOfQuoted(s, i);
      if (e < 0) return 'the display name has an unterminated or invalid quoted string';
      displayName = unquote(s.slice(i, e));
      i = skipWs(s, e);
      if (s.charCodeAt(i) !== 60) return 'a quoted display name is not followed by "<"';
    } else {
      const dn = s.slice(i, lt);
      const t = dn.trim();
      if (t.length > 0) displayName = t.replace(/[ \t]+/g, ' ');
      i = lt;
    }
    const gt = s.indexOf('>', i);
    if (gt < 0) return 'a "<" has no matching ">"';
    uriText = s.slice(i + 1, gt);
    for (let j = 0; j < uriText.length; j++) {
      if (uriText.charCodeAt(j) <= 32) return `the URI inside "<" ">" contains whitespace`;
    }
    i = gt + 1;
  } else {
    const us = i;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 59 || c <= 32) break;
      if (c === 63 /* ? */ || c === 44 /* , */) {
        const lt = s.indexOf('<', i);
        if (lt > 0) return `the display name "${s.slice(0, lt).trim()}" contains characters that need quotes`;
        return 'a URI with headers or commas is not enclosed in "<" ">"';
      }
      i++;
    }
    uriText = s.slice(us, i);
  }
  if (uriText.length === 0) return 'the address has no URI';
  const uri = uriOrError(uriText);
  if (typeof uri === 'string') {
    if (displayName === undefined && s.indexOf('<') > 0) {
      return `the display name "${s.slice(0, s.indexOf('<')).trim()}" contains characters that need quotes`;
    }
    return uri;
  }
  const params = parseHeaderParams(s, i, {});
  if (typeof params === 'string') return `the address has ${params}`;
  const na: NameAddr = { uri, params };
  if (displayName !== undefined) na.displayName = displayName;
  return na;
}

export function parseNameAddr(text: string): Parsed<NameAddr> {
  const r = nameAddrOrError(text);
  return typeof r === 'string' ? { ok: false, reason: r } : { ok: true, value: r };
}

function bad(what: string): never {
  throw new PortierError('BAD_REQUEST', `Cannot write a SIP header: ${what}.`);
}

/** write a quoted-string; CR/LF refused, NUL stripped, '"' and '\' escaped */
export function quote(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 || c === 10) bad(`"${text.slice(0, 40)}" contains CR or LF`);
    if (c === 0) continue;
    if (c === 34 || c === 92 || (c < 32 && c !== 9) || c === 127) out += '\\';
    out += text[i];
  }
  return out + '"';
}

/** header parameters: values that are not token/host are quoted; CR/LF/NUL refused */
export function formatHeaderParams(params: Params): string {
  let s = '';
  for (const name in params) {
    if (!isToken(name)) bad(`invalid parameter name "${name}"`);
    const v = params[name];
    if (v === null || v === undefined) {
      s += ';' + name;
      continue;
    }
    if (hasCrLfNul(v)) bad(`parameter "${name}" contains CR, LF or NUL`);
    let plain = v.length > 0;
    for (let i = 0; i < v.length && plain; i++) plain = isGenValueChar(v.charCodeAt(i));
    if (plain) s += ';' + name + '=' + v;
    else if (v.length >= 2 && v[0] === '"' && endOfQuoted(v, 0) === v.length) s += ';' + name + '=' + v;
    else s += ';' + name + '=' + quote(v);
  }
  return s;
}

/** `"Display" <uri>;params` (always the name-addr form, which is safe for any URI) */
export function formatNameAddr(na: NameAddr): string {
  let s = '';
  if (na.displayName !== undefined && na.displayName !== '') s = quote(na.displayName) + ' ';
  return s + '<' + formatUri(na.uri) + '>' + formatHeaderParams(na.params);
}
