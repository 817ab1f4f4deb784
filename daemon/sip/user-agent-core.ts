import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Clock } from '../util/clock.js';
import { firstHeader } from './dialog.js';
import { splitList } from './name-addr.js';
import type { ClientTransactionUser } from './transactions/common.js';
import { hostLiteral, MAGIC_COOKIE, type ClientTransaction, type ServerTransaction, type TransactionLayer } from './transactions/transaction-layer.js';
import type { Endpoint, Header, SipRequest, SipResponse, SipUri } from './types.js';
import { formatUri, parseUri } from './uri.js';

/**
 * What the registration, the INVITE sessions and the facade share: identifiers, message building,
 * target resolution (RFC 3263 lite: literal or A/AAAA through an injected resolver) and sending a
 * request with digest authentication retries (RFC 3261 22.2 / 8.1.3.5 / RFC 2617).
 */

export type Protocol = Endpoint['transport'];

export interface Identity {
  user: string;
  domain: string;
  displayName?: string;
  /** digest credentials (authUser defaults to user) */
  authUser?: string;
  password?: string;
}

export interface CoreOptions {
  layer: TransactionLayer;
  clock: Clock;
  identity: Identity;
  transport: Protocol;
  /** A/AAAA lookup for host names; literals never reach it */
  resolve: (host: string) => Promise<string[]>;
  outboundProxy?: SipUri;
  userAgent?: string;
}

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO';
export const SUPPORTED = 'timer';

export const REASONS: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 183: 'Session Progress', 200: 'OK', 400: 'Bad Request', 401: 'Unauthorized',
  403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 407: 'Proxy Authentication Required',
  408: 'Request Timeout', 415: 'Unsupported Media Type', 420: 'Bad Extension', 422: 'Session Interval Too Small', 423: 'Interval Too Brief',
  481: 'Call/Transaction Does Not Exist', 486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here',
  500: 'Server Internal Error', 501: 'Not Implemented', 503: 'Service Unavailable', 603: 'Decline',
};

export function randomToken(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}

export function newBranch(): string {
  return MAGIC_COOKIE + randomToken(8);
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const bodyText = (b: Uint8Array): string => new TextDecoder().decode(b);

/** RFC 3261 8.2.6: a response copies Via, From, To (adding our tag), Call-ID and CSeq. */
export function buildResponse(req: SipRequest, status: number, opts: { reason?: string; toTag?: string; headers?: Header[]; body?: Uint8Array } = {}): SipResponse {
  const to = { ...req.to, params: { ...req.to.params } };
  if (opts.toTag && !to.params.tag && status > 100) to.params.tag = opts.toTag;
  const headers: Header[] = [];
  // RFC 3261 12.1.1: a UAS copies Record-Route into dialog-creating responses.
  if (req.method === 'INVITE' && status > 100 && status < 300) headers.push(...req.headers.filter((h) => h.name === 'Record-Route'));
  headers.push(...(opts.headers ?? []));
  return {
    kind: 'response',
    status,
    reason: opts.reason ?? REASONS[status] ?? 'Unknown',
    version: 'SIP/2.0',
    via: req.via,
    from: req.from,
    to,
    callId: req.callId,
    cseq: req.cseq,
    headers,
    body: opts.body ?? new Uint8Array(0),
  };
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse `Digest realm="x", nonce="y", ...` (RFC 2617 3.2.1); undefined when not Digest. */
export function parseChallenge(value: string): Challenge | undefined {
  const m = /^\s*(\w+)\s+(.*)$/s.exec(value);
  if (!m || m[1].toLowerCase() !== 'digest') return undefined;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2])) !== null) params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  return { scheme: 'Digest', params };
}

/** RFC 2617 3.2.2 credentials for MD5 (and qop=auth when offered). */
export function digestCredentials(ch: Challenge, o: { username: string; password: string; method: string; uri: string; nc: number; cnonce: string }): string {
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const { realm = '', nonce = '', opaque, qop, algorithm } = ch.params;
  const ha1 = md5(`${o.username}:${realm}:${o.password}`);
  const ha2 = md5(`${o.method}:${o.uri}`);
  const useQop = qop?.split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
  const nc = o.nc.toString(16).padStart(8, '0');
  const response = useQop ? md5(`${ha1}:${nonce}:${nc}:${o.cnonce}:${useQop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const q = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;
  let v = `Digest username=${q(o.username)}, realm=${q(realm)}, nonce=${q(nonce)}, uri=${q(o.uri)}, response=${q(response)}`;
  if (algorithm) v += `, algorithm=${algorithm}`;
  if (opaque !== undefined) v += `, opaque=${q(opaque)}`;
  if (useQop) v += `, qop=${useQop}, nc=${nc}, cnonce=${q(o.cnonce)}`;
  return v;
}

export interface RequestHandlers {
  onProvisional?(res: SipResponse): void;
  /** every final response after authentication handling (INVITE: every 2xx, forks included) */
  onFinal(res: SipResponse, authFailed: boolean): void;
  onTimeout(): void;
  onTransportError(err: Error): void;
  /** digest retry created a new request (new CSeq and branch) */
  onResend?(req: SipRequest): void;
}

export interface RequestHandle {
  request: SipRequest;
  destination: Endpoint;
  tx: ClientTransaction | undefined;
}

export class SipCore {
  readonly layer: TransactionLayer;
  readonly clock: Clock;
  readonly identity: Identity;
  private nc = new Map<string, number>();

  constructor(readonly opts: CoreOptions) {
    this.layer = opts.layer;
    this.clock = opts.clock;
    this.identity = opts.identity;
  }

  /** sip:user@domain, our address-of-record */
  get aor(): SipUri {
    const u = parseUri(`sip:${this.identity.user}@${this.identity.domain}`);
    if (!u.ok) throw new Error(`invalid identity sip:${this.identity.user}@${this.identity.domain}`);
    return u.value;
  }

  /** Contact for requests toward `dest`: our transport's address and port (RFC 3261 8.1.1.8). */
  contactFor(dest: Endpoint): string {
    const t = this.layer.transportFor(dest);
    const local = t?.local ?? { address: '127.0.0.1', port: 5060 };
    const tp = dest.transport === 'udp' ? '' : `;transport=${dest.transport}`;
    return `<sip:${this.identity.user}@${hostLiteral(local.address)}:${local.port}${tp}>`;
  }

  /** RFC 3263 lite: transport from the URI (transport param, sips -> tls), host literal or A/AAAA. */
  async resolveUri(uri: SipUri): Promise<Endpoint> {
    const tp = (uri.params.transport ?? '').toLowerCase();
    const transport: Protocol = uri.scheme === 'sips' ? 'tls' : tp === 'tcp' || tp === 'tls' || tp === 'udp' ? tp : this.opts.transport;
    const host = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
    let address = host;
    if (isIP(host) === 0) {
      const addrs = await this.opts.resolve(host);
      if (addrs.length === 0) throw new Error(`${host} does not resolve`);
      address = addrs[0];
    }
    return { transport, address, port: uri.port ?? (transport === 'tls' ? 5061 : 5060) };
  }

  /** Where an out-of-dialog request goes: the outbound proxy if configured, else its Request-URI. */
  outOfDialogHop(uri: SipUri): SipUri {
    return this.opts.outboundProxy ?? uri;
  }

  /** A new out-of-dialog request (RFC 3261 8.1.1) from our AoR. */
  newRequest(method: string, uri: SipUri, to: SipUri, opts: { callId?: string; seq?: number; fromTag?: string; headers?: Header[]; body?: Uint8Array } = {}): SipRequest {
    const headers: Header[] = [];
    if (this.opts.outboundProxy) headers.push({ name: 'Route', value: `<${formatUri({ ...this.opts.outboundProxy, params: { ...this.opts.outboundProxy.params, lr: null } })}>` });
    headers.push({ name: 'Max-Forwards', value: '70' });
    if (this.opts.userAgent) headers.push({ name: 'User-Agent', value: this.opts.userAgent });
    headers.push(...(opts.headers ?? []));
    const from = { uri: this.aor, params: { tag: opts.fromTag ?? randomToken(6) } as Record<string, string | null>, ...(this.identity.displayName ? { displayName: this.identity.displayName } : {}) };
    return {
      kind: 'request',
      method,
      uri,
      version: 'SIP/2.0',
      via: [],
      from,
      to: { uri: to, params: {} },
      callId: opts.callId ?? `${randomToken(12)}@portier`,
      cseq: { seq: opts.seq ?? 1, method },
      headers,
      body: opts.body ?? new Uint8Array(0),
    };
  }

  respond(tx: ServerTransaction, req: SipRequest, status: number, opts: Parameters<typeof buildResponse>[2] = {}): void {
    tx.respond(buildResponse(req, status, opts));
  }

  /**
   * Send a request in a client transaction, answering 401/407 challenges (RFC 3261 22.2): resend
   * with credentials, new CSeq and branch, same Call-ID, once per challenge. A stale nonce
   * (stale=true) is retried; the same nonce challenged again without stale is an auth failure.
   */
  send(req: SipRequest, dest: Endpoint, h: RequestHandlers): RequestHandle {
    const handle: RequestHandle = { request: req, destination: dest, tx: undefined };
    const triedNonces = new Set<string>();
    const attempt = (r: SipRequest) => {
      handle.request = r;
      const tu: ClientTransactionUser = {
        onResponse: (res) => {
          if (res.status < 200) return h.onProvisional?.(res);
          if ((res.status === 401 || res.status === 407) && r.method !== 'ACK' && r.method !== 'CANCEL') {
            const next = this.withCredentials(r, res, triedNonces);
            if (next) {
              h.onResend?.(next);
              attempt(next);
              return;
            }
            return h.onFinal(res, this.identity.password !== undefined);
          }
          h.onFinal(res, false);
        },
        onTimeout: () => h.onTimeout(),
        onTransportError: (e) => h.onTransportError(e),
      };
      handle.tx = this.layer.sendRequest(r, dest, tu);
    };
    attempt(req);
    return handle;
  }

  private withCredentials(req: SipRequest, res: SipResponse, tried: Set<string>): SipRequest | undefined {
    const password = this.identity.password;
    if (password === undefined) return undefined;
    const hdrName = res.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const credName = res.status === 401 ? 'Authorization' : 'Proxy-Authorization';
    const values = res.headers.filter((x) => x.name === hdrName).map((x) => x.value);
    const challenges = values.map(parseChallenge).filter((c): c is Challenge => !!c);
    const ch = challenges.find((c) => (c.params.algorithm ?? 'MD5').toUpperCase() === 'MD5');
    if (!ch) return undefined;
    const nonce = ch.params.nonce ?? '';
    const stale = (ch.params.stale ?? '').toLowerCase() === 'true';
    // RFC 3261 22.2: a second challenge for the same nonce means the credentials were refused,
    // unless the server says the nonce was merely stale (RFC 2617 3.2.1).
    if (tried.has(nonce) && !stale) return undefined;
    if (tried.size >= 5) return undefined;
    tried.add(nonce);
    const n = (this.nc.get(nonce) ?? 0) + 1;
    this.nc.set(nonce, n);
    const auth = digestCredentials(ch, {
      username: this.identity.authUser ?? this.identity.user,
      password,
      method: req.method,
      uri: formatUri(req.uri),
      nc: n,
      cnonce: randomToken(8),
    });
    const headers = req.headers.filter((x) => x.name !== 'Authorization' && x.name !== 'Proxy-Authorization');
    headers.push({ name: credName, value: auth });
    return { ...req, via: [], cseq: { seq: req.cseq.seq + 1, method: req.cseq.method }, headers };
  }
}

/** Header helpers over the raw header list. */
export function headerList(msg: { headers: Header[] }, name: string): string[] {
  const out: string[] = [];
  for (const h of msg.headers) if (h.name.toLowerCase() === name.toLowerCase()) out.push(...splitList(h.value).map((s) => s.trim()));
  return out.filter((s) => s.length > 0);
}

export function hasOptionTag(msg: { headers: Header[] }, header: string, tag: string): boolean {
  return headerList(msg, header).some((t) => t.toLowerCase() === tag);
}

export { firstHeader };
