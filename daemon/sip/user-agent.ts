import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Clock } from '../util/clock.js';
import { PortierError } from '../util/errors.js';
import { TypedEmitter } from '../util/events.js';
import { dialogKey, type Dialog } from './dialog.js';
import { InviteSession, type SessionHooks } from './invite-session.js';
import { OutgoingCall } from './invite-session-uac.js';
import { IncomingCall } from './invite-session-uas.js';
import { KeepAlive, type KeepAliveMethod } from './keepalive.js';
import { parseMessage } from './parser.js';
import { Registration, type RegistrationEvent } from './registration.js';
import { serializeMessage } from './serializer.js';
import { parseCidr, SourcePolicy } from './source-policy.js';
import { InviteServerTransaction } from './transactions/invite-server.js';
import { TransactionLayer, type RequestContext, type ServerTransaction } from './transactions/transaction-layer.js';
import type { Transport } from './transport.js';
import type { Endpoint, Header, SipRequest, SipResponse, SipUri } from './types.js';
import { parseUri } from './uri.js';
import { checkRequest } from './validate.js';
import { buildRejectResponse } from './message-helpers.js';
import { ALLOW, buildResponse, headerList, newBranch, SipCore, SUPPORTED, text, type Protocol } from './user-agent-core.js';

/**
 * The SIP user agent the intercom uses: registration, calls both ways, policy, keep-alive.
 *
 *   const ua = await createUserAgent(config.sip)            // user-agent-config.ts: opens sockets
 *   ua.on('registration', (e) => ...)                       // unregistered|registering|registered|failed
 *   ua.on('incoming', (call) => { call.ring(); call.accept(answerSdp) })   // or call.reject(486)
 *   await ua.start()                                        // resolve registrar, keep-alive, REGISTER
 *   const call = ua.invite('100', { sdp: offer })           // events: progress, accepted, failed, ended
 *   call.cancel() / call.bye() / call.reinvite(sdp) / call.sendInfo(type, body)
 *   await ua.close()                                        // unregister, BYE, close sockets
 */
export interface UserAgentConfig {
  user: string;
  password?: string;
  authUser?: string;
  domain: string;
  /** registrar URI ("sip:pbx.lan", "sip:10.0.0.2:5060"); absent: no registration, and only
   *  allowedSources (or allowDirectCalls) may call */
  registrar?: string;
  /** all out-of-dialog requests go here (loose route) */
  outboundProxy?: string;
  displayName?: string;
  transport: Protocol;
  /** registration lifetime in seconds; 0 = do not register */
  expires: number;
  t1?: number;
  t2?: number;
  t4?: number;
  /** hosts/IPs/CIDRs that may call the door besides the registrar */
  allowedSources?: string[];
  allowDirectCalls?: boolean;
  keepalive?: { method: KeepAliveMethod; intervalSeconds: number };
  /** RFC 4028 session interval we propose (s, 0 = off; default 1800) and our Min-SE (default 90) */
  sessionExpires?: number;
  minSE?: number;
  rateLimit?: { perSecond: number; burst: number };
  /** an incoming call nobody answers is rejected with 480 after this long (default 180 s; 0 = never) */
  ringTimeoutMs?: number;
  /** server transactions kept at most for untrusted sources (default 4096; each lives up to 64*T1) */
  maxServerTransactions?: number;
  userAgent?: string;
}

export interface Logger {
  debug?(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
}

export interface UserAgentOptions {
  transports: Transport[];
  clock: Clock;
  config: UserAgentConfig;
  log?: Logger;
  /** A/AAAA lookup (default: node:dns lookup, all addresses) */
  resolve?: (host: string) => Promise<string[]>;
  /** randomness in [0, 1) for the 491 glare back-off and first CSeqs (default Math.random) */
  random?: () => number;
}

export interface UserAgentStats {
  received: number;
  parseErrors: number;
  rejectedByPolicy: number;
  rateLimited: number;
  retransmissions: number;
  sent: number;
  activeCalls: number;
}

type UaEvents = {
  incoming: IncomingCall;
  /** an INVITE refused before it could ring anything (source not allowed) */
  rejected: { source: Endpoint; from: string; status: number; reason: string };
  registration: RegistrationEvent;
  error: Error;
};

/** body types we take: SDP, and what INFO carries (DTMF relay) */
const ACCEPT = ['application/sdp', 'application/dtmf-relay', 'application/dtmf', 'text/plain'];

const defaultResolve = async (host: string): Promise<string[]> => (await lookup(host, { all: true })).map((a) => a.address);

function uriOrThrow(s: string, what: string): SipUri {
  const r = parseUri(s);
  if (!r.ok) throw new PortierError('CONFIG_INVALID', `${what} "${s}" is not a SIP URI: ${r.reason}`);
  return r.value;
}

export class UserAgent extends TypedEmitter<UaEvents> {
  readonly layer: TransactionLayer;
  readonly core: SipCore;
  readonly policy: SourcePolicy;
  readonly registration: Registration | undefined;
  private readonly registrarUri: SipUri | undefined;
  private readonly keepalive: KeepAlive | undefined;
  private readonly dialogs = new Map<string, InviteSession>();
  private readonly ringing = new Map<InviteServerTransaction, IncomingCall>();
  private readonly calls = new Set<InviteSession>();
  private readonly hooks: SessionHooks;
  private readonly resolve: (host: string) => Promise<string[]>;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: UserAgentOptions) {
    super();
    const c = opts.config;
    this.resolve = opts.resolve ?? defaultResolve;
    this.policy = new SourcePolicy({
      clock: opts.clock,
      allowedSources: (c.allowedSources ?? []).filter((s) => parseCidr(s)),
      allowDirectCalls: c.allowDirectCalls ?? false,
      ...(c.rateLimit ? { ratePerSecond: c.rateLimit.perSecond, burst: c.rateLimit.burst } : {}),
    });
    this.layer = new TransactionLayer({
      clock: opts.clock,
      transports: opts.transports,
      codec: { parse: parseMessage, serialize: serializeMessage },
      timers: { ...(c.t1 ? { t1: c.t1 } : {}), ...(c.t2 ? { t2: c.t2 } : {}), ...(c.t4 ? { t4: c.t4 } : {}) },
      newBranch,
      makeResponse: (req, status, reason) => buildResponse(req, status, reason ? { reason } : {}),
      onRequest: (req, tx, ctx) => this.onRequest(req, tx, ctx),
      onStrayResponse: (res) => this.onStrayResponse(res),
      admit: (source) => this.policy.admit(source),
      isTrusted: (source) => this.policy.isTrusted(source.address),
      ...(c.maxServerTransactions ? { maxServerTransactions: c.maxServerTransactions } : {}),
      onParseError: (reason, source, parsed, transport) => {
        opts.log?.debug?.({ reason, source }, 'unparseable SIP message');
        // RFC 3261 8.2 / 21.4.1: a request we could identify gets a stateless 400 (or 505) naming the problem.
        if (parsed?.status && parsed.headers && transport) {
          const bytes = buildRejectResponse(parsed.headers, parsed.status, parsed.status === 400 ? reason.slice(0, 100) : undefined);
          if (bytes) void transport.send(source, bytes).catch(() => undefined);
        }
      },
      onTransportError: (err) => this.emit('error', err),
    });
    this.registrarUri = c.registrar ? uriOrThrow(c.registrar, 'registrar') : undefined;
    this.core = new SipCore({
      layer: this.layer,
      clock: opts.clock,
      identity: { user: c.user, domain: c.domain, ...(c.displayName ? { displayName: c.displayName } : {}), ...(c.password !== undefined ? { password: c.password } : {}), ...(c.authUser ? { authUser: c.authUser } : {}) },
      transport: c.transport,
      resolve: this.resolve,
      ...(c.outboundProxy ? { outboundProxy: uriOrThrow(c.outboundProxy, 'outboundProxy') } : {}),
      ...(c.userAgent ? { userAgent: c.userAgent } : {}),
    });
    this.hooks = {
      bindDialog: (d, s) => this.dialogs.set(d.key, s),
      unbindDialog: (d) => this.dialogs.delete(d.key),
      timers: { sessionExpires: c.sessionExpires ?? 1800, minSE: c.minSE ?? 90 },
      ...(c.ringTimeoutMs !== undefined ? { ringTimeoutMs: c.ringTimeoutMs } : {}),
      ...(opts.random ? { random: opts.random } : {}),
    };
    if (this.registrarUri && c.expires > 0) {
      this.registration = new Registration({ core: this.core, registrar: this.registrarUri, expires: c.expires });
      this.registration.on('state', (e) => this.emit('registration', e));
    }
    if (c.keepalive && c.keepalive.method !== 'off' && c.keepalive.intervalSeconds > 0 && (this.registrarUri || this.core.opts.outboundProxy)) {
      this.keepalive = new KeepAlive({
        clock: opts.clock,
        intervalMs: c.keepalive.intervalSeconds * 1000,
        method: c.keepalive.method,
        probe: (m) => this.probe(m),
        onDead: () => this.registration?.restart('keep-alive failed'),
      });
    }
  }

  /** Resolve the registrar (policy), start keep-alive and register. */
  async start(): Promise<void> {
    await this.refreshTrustedAddresses();
    this.registration?.start();
    this.keepalive?.start();
  }

  /** Re-resolve the registrar/outbound proxy and allow-listed host names (policy addresses). */
  async refreshTrustedAddresses(): Promise<void> {
    const hosts = this.registrarUri ? [this.registrarUri.host] : [];
    if (this.core.opts.outboundProxy) hosts.push(this.core.opts.outboundProxy.host);
    const addrs: string[] = [];
    for (const h of hosts) addrs.push(...(await this.addressesOf(h)));
    this.policy.setRegistrarAddresses(addrs);
    const extra: string[] = [];
    for (const s of this.opts.config.allowedSources ?? []) {
      if (parseCidr(s)) extra.push(s);
      else extra.push(...(await this.addressesOf(s)));
    }
    this.policy.setAllowedSources(extra);
  }

  private async addressesOf(host: string): Promise<string[]> {
    const h = host.startsWith('[') ? host.slice(1, -1) : host;
    if (isIP(h)) return [h];
    try {
      return await this.resolve(h);
    } catch (err) {
      this.opts.log?.warn?.({ host: h, err: (err as Error).message }, 'an allowed source does not resolve; it is not allowed until it does');
      return [];
    }
  }

  /** Register now (or again). */
  register(): void {
    this.registration?.start();
  }

  /**
   * Call a target: a bare extension ("100") becomes sip:100@<domain> sent to the registrar (or
   * outbound proxy); a full SIP URI goes to its own host/port unless an outbound proxy is set.
   */
  invite(target: string, opts: { sdp: string; headers?: Header[] }): OutgoingCall {
    let uri: SipUri;
    let nextHop: SipUri | undefined;
    if (/^(sips?|tel):/i.test(target)) uri = uriOrThrow(target, 'call target');
    else if (target.includes('@')) uri = uriOrThrow(`sip:${target}`, 'call target');
    else {
      uri = uriOrThrow(`sip:${target}@${this.opts.config.domain}`, 'call target');
      nextHop = this.core.opts.outboundProxy ?? this.registrarUri;
    }
    const call = new OutgoingCall(this.core, this.hooks, { target: uri, sdp: opts.sdp, ...(opts.headers ? { headers: opts.headers } : {}), ...(nextHop ? { nextHop } : {}) });
    this.track(call);
    void call.start();
    return call;
  }

  private track(s: InviteSession): void {
    this.calls.add(s);
    const done = () => {
      this.calls.delete(s);
      if (s.dialog) this.dialogs.delete(s.dialog.key);
    };
    s.on('ended', done);
    s.on('failed', done);
  }

  stats(): UserAgentStats {
    const l = this.layer.stats();
    const p = this.policy.stats();
    return { received: l.received, parseErrors: l.parseErrors, rejectedByPolicy: p.rejected, rateLimited: p.rateLimited, retransmissions: l.retransmissions, sent: l.sent, activeCalls: this.calls.size };
  }

  // ------------------------------------------------------------------ incoming

  private reply(tx: ServerTransaction, req: SipRequest, status: number, headers: Header[] = [], reason?: string): void {
    tx.respond(buildResponse(req, status, { headers, toTag: newBranch().slice(7, 15), ...(reason ? { reason } : {}) }));
  }

  private onRequest(req: SipRequest, tx: ServerTransaction | undefined, ctx: RequestContext): void {
    if (!tx) {
      // an ACK outside a transaction: the ACK for a 2xx (RFC 3261 13.3.1.4)
      this.dialogs.get(dialogKey(req.callId, req.to.params.tag ?? '', req.from.params.tag ?? ''))?.handleRequest(req, undefined);
      return;
    }
    // RFC 3261 8.2: method (405/501), scheme (416), Require (420 + Unsupported), body type (415),
    // missing Contact on INVITE (400) ... through the message layer's checkRequest.
    const rejection = checkRequest(req, { supported: [SUPPORTED], accept: ACCEPT, allow: ALLOW.split(', ') });
    if (rejection) return this.reply(tx, req, rejection.status, rejection.headers ?? [], rejection.reason);
    const toTag = req.to.params.tag;
    if (toTag) {
      // RFC 3261 12.2.2: in-dialog request; unknown dialog -> 481.
      const s = this.dialogs.get(dialogKey(req.callId, toTag, req.from.params.tag ?? ''));
      if (s) return s.handleRequest(req, tx);
      return this.reply(tx, req, 481);
    }
    switch (req.method) {
      case 'INVITE':
        return this.onInvite(req, tx as InviteServerTransaction, ctx);
      case 'CANCEL': {
        // RFC 3261 9.2: 200 for the CANCEL, then the INVITE ends with 487; no match -> 481.
        const call = ctx.cancels ? this.ringing.get(ctx.cancels) : undefined;
        if (!call) return this.reply(tx, req, 481);
        tx.respond(buildResponse(req, 200));
        call.onCancel();
        return;
      }
      case 'OPTIONS':
        return this.reply(tx, req, 200, [
          { name: 'Allow', value: ALLOW },
          { name: 'Accept', value: 'application/sdp' },
          { name: 'Supported', value: SUPPORTED },
        ]);
      case 'BYE':
      case 'INFO':
        return this.reply(tx, req, 481);
      default:
        return this.reply(tx, req, 501);
    }
  }

  private onInvite(req: SipRequest, tx: InviteServerTransaction, ctx: RequestContext): void {
    // RFC 3261 8.2.2.2: the same request arriving by another path (forked upstream): 482.
    for (const c of this.ringing.values()) {
      const r = c.request;
      if (r.callId === req.callId && r.from.params.tag === req.from.params.tag && r.cseq.seq === req.cseq.seq) {
        return this.reply(tx, req, 482, [], 'Loop Detected');
      }
    }
    if (!this.policy.allowsInvite(ctx.source)) {
      this.opts.log?.warn?.({ source: ctx.source, from: req.from.uri.user }, 'INVITE from a source that is not allowed: 403');
      const u = req.from.uri;
      this.emit('rejected', { source: ctx.source, from: `${u.scheme}:${u.user ? `${u.user}@` : ''}${u.host}`, status: 403, reason: 'source not allowed' });
      return this.reply(tx, req, 403, [], 'Forbidden (source not allowed)');
    }
    const minSE = this.hooks.timers.minSE;
    if (IncomingCall.sessionIntervalTooSmall(req, minSE)) {
      // RFC 4028 5: Session-Expires below our Min-SE -> 422 with Min-SE.
      return this.reply(tx, req, 422, [{ name: 'Min-SE', value: String(minSE) }]);
    }
    const ct = headerList(req, 'Content-Type')[0];
    if (req.body.length > 0 && ct && !/^application\/sdp/i.test(ct)) {
      return this.reply(tx, req, 415, [{ name: 'Accept', value: 'application/sdp' }]);
    }
    const call = new IncomingCall(this.core, this.hooks, req, tx, ctx.source);
    this.ringing.set(tx, call);
    tx.attach({ onTerminated: () => this.ringing.delete(tx) });
    this.track(call);
    if (this.listenerCount('incoming') === 0) {
      call.reject(480);
      return;
    }
    this.emit('incoming', call);
  }

  private onStrayResponse(res: SipResponse): void {
    if (res.cseq.method !== 'INVITE' || res.status < 200 || res.status >= 300) return;
    this.dialogs.get(dialogKey(res.callId, res.from.params.tag ?? '', res.to.params.tag ?? ''))?.onStray2xx(res);
  }

  private async probe(method: 'crlf' | 'options'): Promise<boolean> {
    const hop = this.core.opts.outboundProxy ?? this.registrarUri;
    if (!hop) return false;
    const dest = await this.core.resolveUri(hop);
    if (method === 'crlf') {
      const t = this.layer.transportFor(dest);
      if (!t) return false;
      await t.send(dest, text('\r\n\r\n'));
      return true;
    }
    return new Promise((resolve) => {
      const req = this.core.newRequest('OPTIONS', hop, hop);
      this.core.send(req, dest, { onFinal: () => resolve(true), onTimeout: () => resolve(false), onTransportError: () => resolve(false) });
    });
  }

  /**
   * Unregister, end calls (BYE / CANCEL / 480), stop timers and close the transports. Waits at
   * most `graceMs` (default 2 s) for the peers' answers. Safe to call twice.
   */
  close(graceMs = 2000): Promise<void> {
    this.closing ??= (async () => {
      this.keepalive?.stop();
      const ends: Promise<unknown>[] = [];
      for (const s of [...this.calls]) {
        if (s.dialog && s.dialog.state !== 'terminated' && (s.state === 'confirmed' || s.state === 'answered')) ends.push(s.bye('shutdown'));
        else if (s instanceof OutgoingCall) s.hangup();
        else if (s instanceof IncomingCall) s.reject(480);
      }
      if (this.registration) ends.push(this.registration.stop());
      await Promise.race([Promise.all(ends), new Promise<void>((resolve) => this.opts.clock.setTimeout(resolve, graceMs))]);
      this.layer.close();
      await Promise.all(this.opts.transports.map((t) => t.close().catch(() => undefined)));
    })();
    return this.closing;
  }
}

export { OutgoingCall, IncomingCall, type Dialog, type Endpoint };
