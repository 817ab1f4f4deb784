/**
 * SIP, SIPS (RFC 3261 19.1, 25.1) and tel (RFC 3966) URIs. Parsing never throws; it returns a
 * reason. Formatting checks every part and refuses CR, LF and NUL (header injection from config).
 */
import { PortierError } from '../util/errors.js';
import {
  allOf, C_HNV, C_HOST, C_PARAM, C_PASSWORD, C_TOKEN, C_USER, escapeTo, hasCrLfNul, isClass, setKey,
} from './chars.js';
import type { Params, SipUri } from './types.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Parse a URI (no surrounding whitespace or angle brackets). */
export function parseUri(text: string): Parsed<SipUri> {
  const r = uriOrError(text);
  return typeof r === 'string' ? { ok: false, reason: r } : { ok: true, value: r };
}

function isSchemeChar(c: number, first: boolean): boolean {
  const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  if (first) return alpha;
  return alpha || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
}

/** Internal fast path: the URI, or a sentence saying what is wrong with it. */
export function uriOrError(text: string): SipUri | string {
  // fast path for the common lower-case schemes
  if (text.startsWith('sip:')) return parseSip(text, 'sip', 4);
  if (text.startsWith('sips:')) return parseSip(text, 'sips', 5);
  const colon = text.indexOf(':');
  if (colon <= 0) return `URI "${clip(text)}" has no scheme`;
  for (let i = 0; i < colon; i++) {
    if (!isSchemeChar(text.charCodeAt(i), i === 0)) return `URI "${clip(text)}" has an invalid scheme`;
  }
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSip(text, scheme, colon + 1);
  if (scheme === 'tel') return parseTel(text, colon + 1);
  const opaque = text.slice(colon + 1);
  if (opaque.length === 0) return `URI "${clip(text)}" is empty after the scheme`;
  for (let i = 0; i < opaque.length; i++) {
    const c = opaque.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 60 || c === 62 || c === 34) return `URI "${clip(text)}" contains an invalid character`;
  }
  return { scheme, host: '', params: {}, headers: {}, opaque };
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function parseSip(text: string, scheme: 'sip' | 'sips', start: number): SipUri | string {
  const uri: SipUri = { scheme, host: '', params: {}, headers: {} };
  let pos = start;
  const at = text.indexOf('@', start);
  if (at >= 0) {
    const userinfo = text.slice(start, at);
    const pc = userinfo.indexOf(':');
    const user = pc >= 0 ? userinfo.slice(0, pc) : userinfo;
    if (user.length === 0 || !allOf(user, C_USER)) return `URI "${clip(text)}" has an invalid user part`;
    uri.user = user;
    if (pc >= 0) {
      const password = userinfo.slice(pc + 1);
      if (!allOf(password, C_PASSWORD)) return `URI "${clip(text)}" has an invalid password`;
      uri.password = password;
    }
    pos = at + 1;
  }
  // host
  let end = pos;
  if (text.charCodeAt(pos) === 91 /* [ */) {
    end = text.indexOf(']', pos);
    if (end < 0) return `URI "${clip(text)}" has an unterminated IPv6 reference`;
    end++;
    for (let i = pos + 1; i < end - 1; i++) {
      const c = text.charCodeAt(i);
      const ok = (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46;
      if (!ok) return `URI "${clip(text)}" has an invalid IPv6 reference`;
    }
  } else {
    while (end < text.length && isClass(text.charCodeAt(end), C_HOST)) end++;
  }
  if (end === pos) return `URI "${clip(text)}" has no host`;
  uri.host = text.slice(pos, end);
  pos = end;
  if (text.charCodeAt(pos) === 58 /* : */) {
    pos++;
    let port = 0;
    const ps = pos;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c < 48 || c > 57) break;
      port = port * 10 + (c - 48);
      pos++;
    }
    if (pos === ps || pos - ps > 5 || port > 65535) return `URI "${clip(text)}" has an invalid port`;
    uri.port = port;
  }
  const q = text.indexOf('?', pos);
  const paramsEnd = q >= 0 ? q : text.length;
  if (pos < paramsEnd) {
    if (text.charCodeAt(pos) !== 59 /* ; */) return `URI "${clip(text)}" has unexpected text after the host`;
    const err = parseUriParams(text.slice(pos + 1, paramsEnd), uri.params);
    if (err) return `URI "${clip(text)}" ${err}`;
  }
  if (q >= 0) {
    const err = parseUriHeaders(text.slice(q + 1), uri.headers);
    if (err) return `URI "${clip(text)}" ${err}`;
  }
  return uri;
}

function parseUriParams(s: string, into: Params): string | undefined {
  let i = 0;
  while (i <= s.length) {
    let semi = s.indexOf(';', i);
    if (semi < 0) semi = s.length;
    const p = s.slice(i, semi);
    const eq = p.indexOf('=');
    const name = eq >= 0 ? p.slice(0, eq) : p;
    if (name.length === 0 || !allOf(name, C_PARAM)) return `has an invalid parameter "${p}"`;
    if (eq >= 0) {
      const value = p.slice(eq + 1);
      if (value.length === 0 || !allOf(value, C_PARAM)) return `has an invalid parameter value in "${p}"`;
      setKey(into, name.toLowerCase(), value);
    } else {
      setKey(into, name.toLowerCase(), null);
    }
    i = semi + 1;
  }
  return undefined;
}

function parseUriHeaders(s: string, into: Record<string, string>): string | undefined {
  let i = 0;
  while (i <= s.length) {
    let amp = s.indexOf('&', i);
    if (amp < 0) amp = s.length;
    const h = s.slice(i, amp);
    const eq = h.indexOf('=');
    if (eq <= 0) return `has an invalid header "${h}"`;
    const name = h.slice(0, eq);
    const value = h.slice(eq + 1);
    if (!allOf(name, C_HNV) || !allOf(value, C_HNV)) return `has an invalid header "${h}"`;
    setKey(into, name, value);
    i = amp + 1;
  }
  return undefined;
}

function parseTel(text: string, start: number): SipUri | string {
  const semi = text.indexOf(';', start);
  const number = text.slice(start, semi >= 0 ? semi : text.length);
  if (number.length === 0) return `URI "${clip(text)}" has no telephone number`;
  for (let i = 0; i < number.length; i++) {
    const c = number.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) ||
      c === 43 || c === 45 || c === 46 || c === 40 || c === 41 || c === 42 || c === 35 || c === 80 || c === 112 || c === 87 || c === 119;
    if (!ok) return `URI "${clip(text)}" has an invalid telephone number`;
  }
  const uri: SipUri = { scheme: 'tel', user: number, host: '', params: {}, headers: {} };
  if (semi >= 0) {
    const err = parseUriParams(text.slice(semi + 1), uri.params);
    if (err) return `URI "${clip(text)}" ${err}`;
  }
  return uri;
}

function bad(what: string): never {
  throw new PortierError('BAD_REQUEST', `Cannot write a SIP URI: ${what}.`);
}

function checkPart(value: string, what: string): void {
  if (hasCrLfNul(value)) bad(`the ${what} contains CR, LF or NUL`);
}

export function formatParams(params: Params, flag: number, what: string): string {
  let s = '';
  for (const name in params) {
    const v = params[name];
    checkPart(name, `${what} name`);
    if (!allOf(name, flag === C_PARAM ? C_PARAM : C_TOKEN) || name.length === 0) bad(`invalid ${what} name "${name}"`);
    if (v === null || v === undefined) {
      s += ';' + name;
    } else {
      checkPart(v, `${what} "${name}"`);
      s += ';' + name + '=' + escapeTo(v, flag);
    }
  }
  return s;
}

function isHost(h: string): boolean {
  if (h.length === 0) return false;
  if (h.charCodeAt(0) === 91) {
    if (h.charCodeAt(h.length - 1) !== 93) return false;
    for (let i = 1; i < h.length - 1; i++) {
      const c = h.charCodeAt(i);
      if (!((c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46)) return false;
    }
    return true;
  }
  return allOf(h, C_HOST, false);
}

/**
 * Write a URI. User, password, parameter and header values are %-escaped where the grammar needs
 * it; CR/LF/NUL anywhere, or an invalid host or port, throws PortierError('BAD_REQUEST').
 */
export function formatUri(uri: SipUri): string {
  const scheme = uri.scheme;
  checkPart(scheme, 'scheme');
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') {
    const opaque = uri.opaque ?? '';
    checkPart(opaque, 'URI');
    if (!/^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme) || opaque.length === 0 || /[\s<>"]/.test(opaque)) {
      bad(`"${scheme}:${opaque}" is not a valid URI`);
    }
    return scheme + ':' + opaque;
  }
  if (scheme === 'tel') {
    const n = uri.user ?? '';
    checkPart(n, 'telephone number');
    if (!/^[0-9A-Fa-f+\-.()*#pPwW]+$/.test(n)) bad(`"${n}" is not a valid telephone number`);
    return 'tel:' + n + formatParams(uri.params, C_PARAM, 'URI parameter');
  }
  let s = scheme + ':';
  if (uri.user !== undefined && uri.user !== '') {
    checkPart(uri.user, 'user part');
    s += escapeTo(uri.user, C_USER);
    if (uri.password !== undefined) {
      checkPart(uri.password, 'password');
      s += ':' + escapeTo(uri.password, C_PASSWORD);
    }
    s += '@';
  }
  checkPart(uri.host, 'host');
  if (!isHost(uri.host)) bad(`"${uri.host}" is not a valid host`);
  s += uri.host;
  if (uri.port !== undefined) {
    if (!Number.isInteger(uri.port) || uri.port < 0 || uri.port > 65535) bad(`port ${uri.port} is out of range`);
    s += ':' + uri.port;
  }
  s += formatParams(uri.params, C_PARAM, 'URI parameter');
  let first = true;
  for (const name in uri.headers) {
    const v = uri.headers[name];
    checkPart(name, 'URI header name');
    checkPart(v, `URI header "${name}"`);
    if (name.length === 0) bad('empty URI header name');
    s += (first ? '?' : '&') + escapeTo(name, C_HNV) + '=' + escapeTo(v, C_HNV);
    first = false;
  }
  return s;
}

/** Decode %HH escapes (for comparing user parts, RFC 3261 19.1.4); invalid escapes stay as they are. */
export function unescapeUriPart(s: string): string {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'));
  } catch {
    return s;
  }
}
