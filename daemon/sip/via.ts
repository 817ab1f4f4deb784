/**
 * Via header values (RFC 3261 20.42, 25.1 via-parm): sent-protocol, sent-by and via-params, with
 * the LWS the grammar allows around "/" and ":".
 */
import { PortierError } from '../util/errors.js';
import { C_HOST, C_TOKEN, isClass } from './chars.js';
import { formatHeaderParams, parseHeaderParams, skipWs } from './name-addr.js';
import type { Via } from './types.js';
import type { Parsed } from './uri.js';

function token(s: string, i: number): number {
  while (i < s.length && isClass(s.charCodeAt(i), C_TOKEN)) i++;
  return i;
}

/** One via-parm (already split from a comma list). */
export function viaOrError(s: string): Via | string {
  let i = skipWs(s, 0);
  let e = token(s, i);
  const c0 = s.charCodeAt(i) | 32;
  const c1 = s.charCodeAt(i + 1) | 32;
  const c2 = s.charCodeAt(i + 2) | 32;
  // "SIP", case-insensitively
  if (e - i !== 3 || c0 !== 115 || c1 !== 105 || c2 !== 112) return `Via "${clip(s)}" does not start with SIP/2.0`;
  i = skipWs(s, e);
  if (s.charCodeAt(i) !== 47) return `Via "${clip(s)}" has no "/" after SIP`;
  i = skipWs(s, i + 1);
  e = token(s, i);
  if (s.slice(i, e) !== '2.0') return `Via "${clip(s)}" has an unsupported SIP version`;
  i = skipWs(s, e);
  if (s.charCodeAt(i) !== 47) return `Via "${clip(s)}" has no transport`;
  i = skipWs(s, i + 1);
  e = token(s, i);
  if (e === i) return `Via "${clip(s)}" has no transport`;
  const transport = s.slice(i, e).toUpperCase();
  const ws = e;
  i = skipWs(s, e);
  if (i === ws) return `Via "${clip(s)}" has no space before the sent-by host`;
  const hs = i;
  if (s.charCodeAt(i) === 91) {
    const close = s.indexOf(']', i);
    if (close < 0) return `Via "${clip(s)}" has an unterminated IPv6 reference`;
    i = close + 1;
  } else {
    while (i < s.length && isClass(s.charCodeAt(i), C_HOST)) i++;
  }
  if (i === hs) return `Via "${clip(s)}" has no sent-by host`;
  const via: Via = { transport, host: s.slice(hs, i), params: {} };
  const afterHost = skipWs(s, i);
  if (s.charCodeAt(afterHost) === 58 /* : */) {
    i = skipWs(s, afterHost + 1);
    const ps = i;
    let port = 0;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) port = port * 10 + s.charCodeAt(i++) - 48;
    if (i === ps || i - ps > 5 || port > 65535) return `Via "${clip(s)}" has an invalid port`;
    via.port = port;
  }
  const params = parseHeaderParams(s, i, via.params);
  if (typeof params === 'string') return `Via "${clip(s)}" has ${params}`;
  return via;
}

function clip(s: string): string {
  const t = s.trim();
  return t.length > 60 ? t.slice(0, 57) + '...' : t;
}

export function parseVia(text: string): Parsed<Via> {
  const r = viaOrError(text);
  return typeof r === 'string' ? { ok: false, reason: r } : { ok: true, value: r };
}

export function formatVia(via: Via): string {
  const t = via.transport;
  if (t.length === 0 || !/^[A-Za-z0-9.!%*_+`'~-]+$/.test(t)) {
    throw new PortierError('BAD_REQUEST', `Cannot write a Via header: invalid transport "${t.slice(0, 20)}".`);
  }
  const h = via.host;
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)$/.test(h)) {
    throw new PortierError('BAD_REQUEST', `Cannot write a Via header: invalid host "${h.slice(0, 40)}".`);
  }
  let s = 'SIP/2.0/' + t.toUpperCase() + ' ' + h;
  if (via.port !== undefined) {
    if (!Number.isInteger(via.port) || via.port < 0 || via.port > 65535) {
      throw new PortierError('BAD_REQUEST', `Cannot write a Via header: port ${via.port} is out of range.`);
    }
    s += ':' + via.port;
  }
  return s + formatHeaderParams(via.params);
}
