import { isIP } from 'node:net';
import type { Clock } from '../util/clock.js';
import { firstHeader } from './dialog.js';
import { DigestClient, pickChallenge } from './digest.js';
import { createResponse, newBranch, newCallId, newTag } from './message-helpers.js';
import { splitList } from './name-addr.js';
import type { ClientTransactionUser } from './transactions/common.js';
import { hostLiteral, type ClientTransaction, type ServerTransaction, type TransactionLayer } from './transactions/transaction-layer.js';
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

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE';
export const SUPPORTED = 'timer';

/** a random token for tags (RFC 3261 19.3) */
export function randomToken(): string {
  return newTag();
}

export { newBranch };

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const bodyText = (b: Uint8Array): string => new TextDecoder().decode(b);

/** RFC 3261 8.2.6 via the message helpers: Via, From, To (+ our tag), Call-ID, CSeq, Record-Route. */
export function buildResponse(req: SipRequest, status: number, opts: { reason?: string; toTag?: string; headers?: Header[]; body?: Uint8Array } = {}): SipResponse {
  return createResponse(req, status, opts.reason, {
    ...(opts.toTag ? { toTag: opts.toTag } : {}),
    headers: opts.headers ?? [],
    ...(opts.body ? { body: opts.body } : {}),
  });
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
  private digest: DigestClient | undefined;

  constructor(readonly opts: CoreOptions) {
    this.layer = opts.layer;
    this.clock = opts.clock;
    this.identity = opts.identity;
    if (opts.identity.password !== undefined) this.digest = new DigestClient(opts.identity.authUser ?? opts.identity.user, opts.identity.password);
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

  /**
   * RFC 3263 lite: transport from the URI (transport param, sips -> tls), host literal or A/AAAA.
   * DEVIATION: no NAPTR/SRV, and no switch from UDP to TCP for requests near the path MTU
   * (RFC 3261 18.1.1): a door's INVITE stays well below 1300 bytes, and home PBXs expect UDP.
   */
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
    const from = { uri: this.aor, params: { tag: opts.fromTag ?? newTag() } as Record<string, string | null>, ...(this.identity.displayName ? { displayName: this.identity.displayName } : {}) };
    return {
      kind: 'request',
      method,
      uri,
      version: 'SIP/2.0',
      via: [],
      from,
      to: { uri: to, params: {} },
      callId: opts.callId ?? newCallId('portier'),
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
    if (!this.digest) return undefined;
    const hdrName = res.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const credName = res.status === 401 ? 'Authorization' : 'Proxy-Authorization';
    const ch = pickChallenge(res.headers.filter((x) => x.name === hdrName).map((x) => x.value));
    if (!ch) return undefined;
    // RFC 3261 22.2: a second challenge for the same nonce means the credentials were refused,
    // unless the server says the nonce was merely stale (RFC 2617 3.2.1).
    if (tried.has(ch.nonce) && !ch.stale) return undefined;
    if (tried.size >= 5) return undefined;
    tried.add(ch.nonce);
    let auth: string;
    try {
      auth = this.digest.authorize(ch, { method: req.method, uri: formatUri(req.uri), body: req.body });
    } catch {
      return undefined;
    }
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
