import type { Clock } from '../../util/clock.js';
import type { Transport } from '../transport.js';
import type { Endpoint, ParseResult, SipMessage, SipRequest, SipResponse, SipUri, Via } from '../types.js';
import { DEFAULT_TIMERS, type ClientTransactionUser, type ServerTransactionUser, type TimerConfig, type TransactionEnv } from './common.js';
import { InviteClientTransaction } from './invite-client.js';
import { InviteServerTransaction } from './invite-server.js';
import { NonInviteClientTransaction } from './non-invite-client.js';
import { NonInviteServerTransaction } from './non-invite-server.js';

/**
 * The transaction layer (RFC 3261 17): it owns the transports, parses what they deliver, matches
 * requests and responses to transactions (17.1.3 / 17.2.3, with the RFC 2543 fallback), routes
 * responses (18.2.2 + RFC 3581) and hands everything else to the transaction user (the UA core).
 */

export const MAGIC_COOKIE = 'z9hG4bK';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

export interface MessageCodec {
  parse(data: Uint8Array): ParseResult;
  serialize(message: SipMessage): Uint8Array;
}

export interface RequestContext {
  source: Endpoint;
  local: Endpoint;
  transport: Transport;
  /** for CANCEL: the INVITE server transaction it matches (RFC 3261 9.2), if any */
  cancels?: InviteServerTransaction;
}

export interface TransactionLayerOptions {
  clock: Clock;
  transports: Transport[];
  codec: MessageCodec;
  timers?: Partial<TimerConfig>;
  /** a fresh branch, starting with the magic cookie */
  newBranch(): string;
  /** builds the 100 Trying an INVITE server transaction sends after 200 ms */
  makeResponse(req: SipRequest, status: number, reason?: string): SipResponse;
  /** a new request (not a retransmission); tx is undefined for an ACK that matched no transaction */
  onRequest(req: SipRequest, tx: ServerTransaction | undefined, ctx: RequestContext): void;
  /** a response that matched no client transaction (e.g. a 2xx retransmitted after timer M) */
  onStrayResponse?(res: SipResponse, source: Endpoint): void;
  /** called before parsing; return false to drop (rate limiting) */
  admit?(source: Endpoint): boolean;
  /** `parsed` carries the status and raw headers when the message was an identifiable request */
  onParseError?(reason: string, source: Endpoint, parsed?: Extract<ParseResult, { ok: false }>, transport?: Transport): void;
  /** new server transactions beyond this many are refused (dropped and counted; default 4096) */
  maxServerTransactions?: number;
  /** sources exempt from that cap (the registrar): a flood must not lock them out */
  isTrusted?(source: Endpoint): boolean;
  /** a transport reported an error outside of a send */
  onTransportError?(err: Error, transport: Transport): void;
}

export interface LayerStats {
  received: number;
  parseErrors: number;
  dropped: number;
  retransmissions: number;
  sent: number;
}

/** Sent-by of a Via as "host:port" (port defaulted per transport, RFC 3261 18.2.1). */
export function sentBy(via: Via): string {
  const p = via.port ?? (via.transport === 'TLS' ? 5061 : 5060);
  return `${via.host.toLowerCase()}:${p}`;
}

function uriKey(u: SipUri): string {
  return `${u.scheme}:${u.user ?? ''}@${u.host.toLowerCase()}:${u.port ?? ''}`;
}

/** Brackets an IPv6 literal for use in a URI or Via host. */
export function hostLiteral(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** RFC 3261 17.2.3 (and the RFC 2543 fallback) key of a server transaction. */
export function serverKey(req: SipRequest): string | undefined {
  const top = req.via[0];
  if (!top) return undefined;
  const method = req.method === 'ACK' ? 'INVITE' : req.method;
  const branch = top.params.branch;
  if (branch && branch.startsWith(MAGIC_COOKIE)) return `${branch}|${sentBy(top)}|${method}`;
  // RFC 3261 17.2.3: RFC 2543 fallback: Request-URI, From tag, Call-ID, CSeq number, top Via
  // (and To tag, compared separately for the ACK against the tag of our response).
  const toTag = req.method === 'ACK' || req.method === 'CANCEL' ? '' : (req.to.params.tag ?? '');
  return `2543|${uriKey(req.uri)}|${req.from.params.tag ?? ''}|${toTag}|${req.callId}|${req.cseq.seq}|${sentBy(top)}|${branch ?? ''}|${method}`;
}

/** RFC 3261 17.1.3: a response matches the client transaction with its top Via branch and CSeq method. */
export function clientKey(branch: string, method: string): string {
  return `${branch}|${method}`;
}

/**
 * RFC 3261 18.2.2 and RFC 3581 4: where a response to `req` (received from `source`) goes.
 * Reliable transports answer on the connection the request came in on (the source endpoint).
 */
export function responseDestination(req: SipRequest, source: Endpoint): Endpoint {
  const top = req.via[0];
  if (!top || source.transport !== 'udp') return source;
  // RFC 3581 4: with rport the response goes to the source address and port.
  if ('rport' in top.params) return source;
  const received = top.params.received;
  const address = received ?? unbracket(top.host);
  return { transport: source.transport, address, port: top.port ?? 5060 };
}

export class TransactionLayer {
  readonly timers: TimerConfig;
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly counters: LayerStats = { received: 0, parseErrors: 0, dropped: 0, retransmissions: 0, sent: 0 };
  private closed = false;

  constructor(private readonly opts: TransactionLayerOptions) {
    this.timers = { ...DEFAULT_TIMERS, ...opts.timers };
    for (const t of opts.transports) {
      t.onMessage((m) => this.receive(m.data, m.source, m.local, t));
      t.onError((err) => opts.onTransportError?.(err, t));
    }
  }

  get transports(): readonly Transport[] {
    return this.opts.transports;
  }

  stats(): LayerStats {
    return { ...this.counters };
  }

  /** The transport to reach `dest`: same protocol, preferring the same address family. */
  transportFor(dest: Endpoint): Transport | undefined {
    const v6 = dest.address.includes(':');
    const same = this.opts.transports.filter((t) => t.protocol === dest.transport);
    return same.find((t) => t.local.address.includes(':') === v6) ?? same[0];
  }

  /** The Via our requests to `dest` carry (RFC 3261 18.1.1; `;rport` per RFC 3581 3). */
  makeVia(dest: Endpoint, branch = this.opts.newBranch()): Via {
    const t = this.transportFor(dest);
    const local = t?.local ?? { address: '127.0.0.1', port: 5060, transport: dest.transport };
    return {
      transport: dest.transport.toUpperCase(),
      host: hostLiteral(local.address),
      port: local.port,
      params: { branch, rport: null },
    };
  }

  /**
   * Start a client transaction. If the request has no Via, ours is added (a CANCEL keeps the
   * INVITE's Via, RFC 3261 9.1). ACK is never a transaction: use sendStateless.
   */
  sendRequest(req: SipRequest, dest: Endpoint, tu: ClientTransactionUser): ClientTransaction {
    if (req.via.length === 0) req.via = [this.makeVia(dest)];
    const branch = String(req.via[0].params.branch ?? '');
    const key = clientKey(branch, req.method);
    const transport = this.transportFor(dest);
    let tx: ClientTransaction;
    const wrapped: ClientTransactionUser = {
      onResponse: (r) => tu.onResponse(r),
      onTimeout: () => tu.onTimeout(),
      onTransportError: (e) => tu.onTransportError(e),
      onTerminated: () => {
        if (this.clients.get(key) === tx) this.clients.delete(key);
        tu.onTerminated?.();
      },
    };
    const env = this.env(dest, transport, () => tx);
    tx = req.method === 'INVITE' ? new InviteClientTransaction(req, env, wrapped) : new NonInviteClientTransaction(req, env, wrapped);
    this.clients.set(key, tx);
    if (!transport) {
      this.opts.clock.setTimeout(() => tx.transportError(new Error(`no ${dest.transport} transport`)), 0);
      return tx;
    }
    tx.start();
    return tx;
  }

  /** Send outside any transaction (ACK for a 2xx, RFC 3261 13.2.2.4; stray answers). */
  sendStateless(msg: SipMessage, dest: Endpoint, retransmission = false): Promise<void> {
    const t = this.transportFor(dest);
    if (!t) return Promise.reject(new Error(`no ${dest.transport} transport`));
    if (msg.kind === 'request' && msg.via.length === 0) msg.via = [this.makeVia(dest)];
    this.count(retransmission);
    return t.send(dest, this.opts.codec.serialize(msg));
  }

  private count(retransmission: boolean): void {
    this.counters.sent++;
    if (retransmission) this.counters.retransmissions++;
  }

  private env(dest: Endpoint, transport: Transport | undefined, tx: () => { transportError(e: Error): void }): TransactionEnv {
    return {
      clock: this.opts.clock,
      timers: this.timers,
      reliable: transport?.reliable ?? false,
      send: (msg, retransmission) => {
        if (!transport || this.closed) return;
        this.count(retransmission);
        let data: Uint8Array;
        try {
          data = this.opts.codec.serialize(msg);
        } catch (err) {
          tx().transportError(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        transport.send(dest, data).catch((err: unknown) => {
          tx().transportError(err instanceof Error ? err : new Error(String(err)));
        });
      },
    };
  }

  /** Bytes from a transport. Public so tests and stream framers can inject. */
  receive(data: Uint8Array, source: Endpoint, local: Endpoint, transport: Transport): void {
    if (this.closed) return;
    if (this.opts.admit && !this.opts.admit(source)) {
      this.counters.dropped++;
      return;
    }
    this.counters.received++;
    // RFC 5626 4.4.1 / 3.5.1: a bare CRLF keep-alive on a stream or datagram is not a message.
    if (data.every((b) => b === 13 || b === 10)) return;
    const parsed = this.opts.codec.parse(data);
    if (!parsed.ok) {
      this.counters.parseErrors++;
      this.opts.onParseError?.(parsed.reason, source, parsed, transport);
      return;
    }
    const msg = parsed.message;
    try {
      if (msg.kind === 'response') this.receiveResponse(msg, source);
      else this.receiveRequest(msg, source, local, transport);
    } catch (err) {
      // Architecture rule 5: nothing a peer sends may take the daemon down; report and carry on.
      this.counters.dropped++;
      this.opts.onTransportError?.(new Error(`handling a message from ${source.address}:${source.port} failed: ${err instanceof Error ? err.message : String(err)}`), transport);
    }
  }

  private receiveResponse(res: SipResponse, source: Endpoint): void {
    // RFC 3261 18.1.2: a response whose top Via is not ours would be discarded; we match on branch.
    const branch = res.via[0]?.params.branch;
    const tx = branch ? this.clients.get(clientKey(branch, res.cseq.method)) : undefined;
    if (tx) tx.receiveResponse(res);
    else this.opts.onStrayResponse?.(res, source);
  }

  private receiveRequest(req: SipRequest, source: Endpoint, local: Endpoint, transport: Transport): void {
    const top = req.via[0];
    if (!top) {
      this.counters.parseErrors++;
      this.opts.onParseError?.('request without Via', source);
      return;
    }
    // RFC 3261 18.2.1: add received when the sent-by host differs from the source address;
    // RFC 3581 4: fill in an empty rport with the source port (and always add received then).
    if ('rport' in top.params && top.params.rport === null) {
      top.params.rport = String(source.port);
      top.params.received = source.address;
    } else if (unbracket(top.host) !== source.address) {
      top.params.received = source.address;
    }
    const ctx: RequestContext = { source, local, transport };
    const key = serverKey(req);
    if (!key) return;
    const existing = this.servers.get(key);
    if (req.method === 'ACK') {
      const inv = existing instanceof InviteServerTransaction ? existing : undefined;
      // RFC 3261 17.2.3: an ACK matches the INVITE transaction whose response it acknowledges;
      // for RFC 2543 peers also compare the To tag with the tag of our response.
      const legacy = key.startsWith('2543|');
      if (inv && (!legacy || inv.responseToTag === (req.to.params.tag ?? undefined)) && inv.state !== 'accepted') {
        inv.receiveRequest(req);
        return;
      }
      this.opts.onRequest(req, undefined, ctx);
      return;
    }
    if (existing) {
      // RFC 3261 17.2.3: a retransmission goes to its transaction, not to the TU.
      existing.receiveRequest(req);
      return;
    }
    if (this.servers.size >= (this.opts.maxServerTransactions ?? 4096) && !this.opts.isTrusted?.(source)) {
      // Overload: do not create state for new requests (a flood from many sources).
      this.counters.dropped++;
      return;
    }
    const dest = responseDestination(req, source);
    let tx: ServerTransaction;
    const tu: ServerTransactionUser = {
      onTerminated: () => {
        if (this.servers.get(key) === tx) this.servers.delete(key);
      },
    };
    const env = this.env(dest, transport, () => tx);
    tx =
      req.method === 'INVITE'
        ? new InviteServerTransaction(req, env, tu, (r) => this.opts.makeResponse(r, 100, 'Trying'))
        : new NonInviteServerTransaction(req, env, tu);
    this.servers.set(key, tx);
    if (req.method === 'CANCEL') {
      const inviteKey = key.replace(/\|CANCEL$/, '|INVITE');
      const inv = this.servers.get(inviteKey);
      if (inv instanceof InviteServerTransaction) ctx.cancels = inv;
    }
    tx.start();
    this.opts.onRequest(req, tx, ctx);
  }

  get activeTransactions(): { client: number; server: number } {
    return { client: this.clients.size, server: this.servers.size };
  }

  /** Stop all transactions (no callbacks); transports are closed by their owner. */
  close(): void {
    this.closed = true;
    for (const tx of this.clients.values()) tx.destroy();
    for (const tx of this.servers.values()) tx.destroy();
    this.clients.clear();
    this.servers.clear();
  }
}
