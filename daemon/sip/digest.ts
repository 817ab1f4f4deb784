/**
 * HTTP Digest authentication for SIP (RFC 3261 22.4, RFC 2617, RFC 7616, RFC 8760): parsing
 * WWW-Authenticate / Proxy-Authenticate challenges, building Authorization / Proxy-Authorization
 * credentials (qop=auth, auth-int, or none; nonce-count tracked per nonce), and verifying
 * credentials on the server side. Pure: the cnonce source is injectable.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PortierError } from '../util/errors.js';
import { C_TOKEN, isClass, setKey } from './chars.js';
import { endOfQuoted, quote, skipWs } from './name-addr.js';
import type { Parsed } from './uri.js';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

const ALGORITHMS: Record<string, DigestAlgorithm> = {
  'md5': 'MD5', 'md5-sess': 'MD5-sess', 'sha-256': 'SHA-256', 'sha-256-sess': 'SHA-256-sess',
  'sha-512-256': 'SHA-512-256', 'sha-512-256-sess': 'SHA-512-256-sess',
};

function algorithmNamed(name: string): DigestAlgorithm | undefined {
  const key = name.toLowerCase();
  return Object.hasOwn(ALGORITHMS, key) ? ALGORITHMS[key] : undefined;
}

const NODE_HASH: Record<string, string> = { 'MD5': 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  /** RFC 2617 3.2.1: MD5 when absent */
  algorithm: DigestAlgorithm;
  /** offered qop values, lower-cased; empty when the challenge has no qop (RFC 2069 mode) */
  qop: string[];
  stale: boolean;
  domain?: string;
  /** all parameters as received (unquoted), names lower-cased */
  params: Record<string, string>;
}

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  cnonce?: string;
  opaque?: string;
  qop?: string;
  nc?: string;
  params: Record<string, string>;
}

/** Parse `scheme 1*(auth-param)` into the scheme and its parameters (values unquoted). */
function parseAuthParams(value: string): { scheme: string; params: Record<string, string> } | string {
  let i = skipWs(value, 0);
  const ss = i;
  while (i < value.length && isClass(value.charCodeAt(i), C_TOKEN)) i++;
  if (i === ss) return 'no authentication scheme';
  const scheme = value.slice(ss, i);
  const params: Record<string, string> = {};
  for (;;) {
    i = skipWs(value, i);
    while (value.charCodeAt(i) === 44 /* , */) i = skipWs(value, i + 1);
    if (i >= value.length) break;
    const ns = i;
    while (i < value.length && isClass(value.charCodeAt(i), C_TOKEN)) i++;
    if (i === ns) return `unexpected "${value.slice(i, i + 10)}" in the ${scheme} parameters`;
    const name = value.slice(ns, i).toLowerCase();
    i = skipWs(value, i);
    if (value.charCodeAt(i) !== 61 /* = */) return `parameter "${name}" has no value`;
    i = skipWs(value, i + 1);
    if (value.charCodeAt(i) === 34) {
      const e = endOfQuoted(value, i);
      if (e < 0) return `parameter "${name}" has an unterminated quoted value`;
      setKey(params, name, value.slice(i + 1, e - 1).replace(/\\(.)/g, '$1'));
      i = e;
    } else {
      const vs = i;
      while (i < value.length && value.charCodeAt(i) !== 44 && value.charCodeAt(i) > 32) i++;
      setKey(params, name, value.slice(vs, i));
    }
    i = skipWs(value, i);
    if (i < value.length && value.charCodeAt(i) !== 44) return `parameters are not separated by commas near "${value.slice(i, i + 10)}"`;
  }
  return { scheme, params };
}

/** Parse one WWW-Authenticate / Proxy-Authenticate value; only the Digest scheme is accepted. */
export function parseChallenge(value: string): Parsed<DigestChallenge> {
  const r = parseAuthParams(value);
  if (typeof r === 'string') return { ok: false, reason: `invalid challenge: ${r}` };
  if (r.scheme.toLowerCase() !== 'digest') return { ok: false, reason: `unsupported authentication scheme "${r.scheme}"` };
  const p = r.params;
  if (p.realm === undefined) return { ok: false, reason: 'the Digest challenge has no realm' };
  if (!p.nonce) return { ok: false, reason: 'the Digest challenge has no nonce' };
  const algorithm = algorithmNamed(p.algorithm ?? 'MD5');
  if (!algorithm) return { ok: false, reason: `unsupported Digest algorithm "${p.algorithm}"` };
  const ch: DigestChallenge = {
    realm: p.realm, nonce: p.nonce, algorithm,
    qop: p.qop ? p.qop.split(',').map((q) => q.trim().toLowerCase()).filter((q) => q.length > 0) : [],
    stale: (p.stale ?? '').toLowerCase() === 'true', params: p,
  };
  if (p.opaque !== undefined) ch.opaque = p.opaque;
  if (p.domain !== undefined) ch.domain = p.domain;
  return { ok: true, value: ch };
}

const STRENGTH: Record<DigestAlgorithm, number> = {
  'MD5': 1, 'MD5-sess': 1, 'SHA-256': 2, 'SHA-256-sess': 2, 'SHA-512-256': 3, 'SHA-512-256-sess': 3,
};

/** RFC 8760 2.4: of several challenges (same realm or not), pick the strongest algorithm we support */
export function pickChallenge(values: string[]): DigestChallenge | undefined {
  let best: DigestChallenge | undefined;
  for (const v of values) {
    const r = parseChallenge(v);
    if (r.ok && (!best || STRENGTH[r.value.algorithm] > STRENGTH[best.algorithm])) best = r.value;
  }
  return best;
}

/** Parse an Authorization / Proxy-Authorization value (Digest). */
export function parseCredentials(value: string): Parsed<DigestCredentials> {
  const r = parseAuthParams(value);
  if (typeof r === 'string') return { ok: false, reason: `invalid credentials: ${r}` };
  if (r.scheme.toLowerCase() !== 'digest') return { ok: false, reason: `unsupported authentication scheme "${r.scheme}"` };
  const p = r.params;
  for (const k of ['username', 'realm', 'nonce', 'uri', 'response']) {
    if (p[k] === undefined) return { ok: false, reason: `the credentials have no ${k}` };
  }
  const c: DigestCredentials = { username: p.username, realm: p.realm, nonce: p.nonce, uri: p.uri, response: p.response, params: p };
  for (const k of ['algorithm', 'cnonce', 'opaque', 'qop', 'nc'] as const) if (p[k] !== undefined) c[k] = p[k];
  return { ok: true, value: c };
}

function hashFn(algorithm: DigestAlgorithm): (s: string | Uint8Array) => string {
  const name = NODE_HASH[algorithm.replace(/-sess$/, '')];
  return (s) => createHash(name).update(s).digest('hex');
}

export interface DigestInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  /** the password, or the precomputed H(username:realm:password) */
  password?: string;
  ha1?: string;
  nonce: string;
  method: string;
  uri: string;
  qop?: 'auth' | 'auth-int';
  nc?: string;
  cnonce?: string;
  /** message body, for qop=auth-int */
  body?: Uint8Array;
}

/** The request-digest (RFC 7616 3.4.1, RFC 2617 3.2.2.1; without qop RFC 2069). */
export function digestResponse(d: DigestInput): string {
  const H = hashFn(d.algorithm);
  let ha1 = d.ha1 ?? H(`${d.username}:${d.realm}:${d.password ?? ''}`);
  if (d.algorithm.endsWith('-sess')) ha1 = H(`${ha1}:${d.nonce}:${d.cnonce ?? ''}`);
  const a2 = d.qop === 'auth-int' ? `${d.method}:${d.uri}:${H(d.body ?? new Uint8Array(0))}` : `${d.method}:${d.uri}`;
  const ha2 = H(a2);
  if (d.qop) return H(`${ha1}:${d.nonce}:${d.nc}:${d.cnonce}:${d.qop}:${ha2}`);
  return H(`${ha1}:${d.nonce}:${ha2}`);
}

export interface AuthorizeRequest {
  method: string;
  /** the digest-uri: the Request-URI as written on the request line (RFC 3261 22.4 item 4) */
  uri: string;
  body?: Uint8Array;
}

export interface CredentialOptions extends AuthorizeRequest {
  username: string;
  password: string;
  /** required for qop and -sess algorithms */
  cnonce?: string;
  /** nonce-count, 1 for the first request with this nonce */
  nc?: number;
}

/**
 * The Authorization / Proxy-Authorization value answering `challenge` (RFC 7616 3.4): qop=auth
 * when offered, else auth-int, else no qop (RFC 2069 mode). Throws PortierError when the challenge
 * offers only qop values we do not support, or a value contains CR/LF.
 */
export function buildCredentials(challenge: DigestChallenge, o: CredentialOptions): string {
  let qop: 'auth' | 'auth-int' | undefined;
  if (challenge.qop.includes('auth')) qop = 'auth';
  else if (challenge.qop.includes('auth-int')) qop = 'auth-int';
  else if (challenge.qop.length > 0) {
    throw new PortierError('SIP_AUTH_FAILED', `The server offers only qop "${challenge.qop.join(', ')}", which is not supported.`);
  }
  const needsCnonce = qop !== undefined || challenge.algorithm.endsWith('-sess');
  const cnonce = needsCnonce ? (o.cnonce ?? randomBytes(12).toString('hex')) : undefined;
  const nc = qop ? (o.nc ?? 1).toString(16).padStart(8, '0') : undefined;
  const response = digestResponse({
    algorithm: challenge.algorithm, username: o.username, password: o.password, realm: challenge.realm,
    nonce: challenge.nonce, method: o.method, uri: o.uri, qop, nc, cnonce, body: o.body,
  });
  return formatCredentials({
    username: o.username, realm: challenge.realm, nonce: challenge.nonce, uri: o.uri, response,
    // RFC 7616 3.4: echo the algorithm the challenge named (absent means MD5)
    algorithm: challenge.params.algorithm !== undefined ? challenge.algorithm : undefined,
    cnonce, opaque: challenge.opaque, qop, nc, params: {},
  });
}

/**
 * A UAC's credentials for one user: answers challenges with Authorization values, counting nc per
 * nonce (RFC 7616 3.4: the count rises with every request that reuses the nonce).
 */
export class DigestClient {
  private readonly counts = new Map<string, number>();
  private readonly cnonce: () => string;

  constructor(private readonly username: string, private readonly password: string, opts: { cnonce?: () => string } = {}) {
    this.cnonce = opts.cnonce ?? (() => randomBytes(12).toString('hex'));
  }

  /** The Authorization / Proxy-Authorization value answering `challenge` for this request. */
  authorize(challenge: DigestChallenge, req: AuthorizeRequest): string {
    const usesNc = challenge.qop.includes('auth') || challenge.qop.includes('auth-int');
    let nc: number | undefined;
    if (usesNc) {
      nc = (this.counts.get(challenge.nonce) ?? 0) + 1;
      if (this.counts.size >= 64 && !this.counts.has(challenge.nonce)) this.counts.clear(); // bounded
      this.counts.set(challenge.nonce, nc);
    }
    const needsCnonce = usesNc || challenge.algorithm.endsWith('-sess');
    return buildCredentials(challenge, {
      ...req, username: this.username, password: this.password, nc, ...(needsCnonce ? { cnonce: this.cnonce() } : {}),
    });
  }
}

/** `Digest username="...", realm="...", ...` (RFC 3261 25.1 dig-resp; qop, nc and algorithm unquoted). */
export function formatCredentials(c: DigestCredentials): string {
  let s = `Digest username=${quote(c.username)}, realm=${quote(c.realm)}, nonce=${quote(c.nonce)}, uri=${quote(c.uri)}, response=${quote(c.response)}`;
  if (c.algorithm) s += `, algorithm=${token(c.algorithm)}`;
  if (c.cnonce !== undefined) s += `, cnonce=${quote(c.cnonce)}`;
  if (c.opaque !== undefined) s += `, opaque=${quote(c.opaque)}`;
  if (c.qop) s += `, qop=${token(c.qop)}, nc=${token(c.nc ?? '00000001')}`;
  return s;
}

function token(v: string): string {
  if (!/^[A-Za-z0-9.!%*_+`'~-]+$/.test(v)) throw new PortierError('BAD_REQUEST', `"${v.slice(0, 20)}" is not a token.`);
  return v;
}

/** A Digest challenge value (for a test server or a UAS that authenticates). */
export function formatChallenge(c: { realm: string; nonce: string; opaque?: string; algorithm?: DigestAlgorithm; qop?: string[]; stale?: boolean }): string {
  let s = `Digest realm=${quote(c.realm)}, nonce=${quote(c.nonce)}`;
  if (c.opaque !== undefined) s += `, opaque=${quote(c.opaque)}`;
  if (c.algorithm) s += `, algorithm=${token(c.algorithm)}`;
  if (c.qop && c.qop.length > 0) s += `, qop=${quote(c.qop.join(','))}`;
  if (c.stale) s += ', stale=TRUE';
  return s;
}

/**
 * Server side: do these credentials prove knowledge of the password for this request?
 * Checks realm, nonce and digest-uri against what the server expects when given.
 */
export function verifyDigest(
  credentials: string | DigestCredentials,
  expect: { method: string; password?: string; ha1?: string; realm?: string; nonce?: string; uri?: string; body?: Uint8Array },
): boolean {
  let c: DigestCredentials;
  if (typeof credentials === 'string') {
    const r = parseCredentials(credentials);
    if (!r.ok) return false;
    c = r.value;
  } else {
    c = credentials;
  }
  if (expect.realm !== undefined && c.realm !== expect.realm) return false;
  if (expect.nonce !== undefined && c.nonce !== expect.nonce) return false;
  if (expect.uri !== undefined && c.uri !== expect.uri) return false;
  const algorithm = algorithmNamed(c.algorithm ?? 'MD5');
  if (!algorithm) return false;
  const qop = c.qop?.toLowerCase();
  if (qop !== undefined && qop !== 'auth' && qop !== 'auth-int') return false;
  if (qop && (!c.nc || !/^[0-9a-fA-F]{8}$/.test(c.nc) || c.cnonce === undefined)) return false;
  const expected = digestResponse({
    algorithm, username: c.username, realm: c.realm, password: expect.password, ha1: expect.ha1, nonce: c.nonce,
    method: expect.method, uri: c.uri, qop: qop as 'auth' | 'auth-int' | undefined, nc: c.nc, cnonce: c.cnonce, body: expect.body,
  });
  return expected === c.response.toLowerCase();
}
