import type { TimerHandle } from '../util/clock.js';
import type { ErrorCode } from '../util/errors.js';
import { TypedEmitter } from '../util/events.js';
import type { Dialog } from './dialog.js';
import type { ServerTransaction } from './transactions/transaction-layer.js';
import type { Header, SipRequest, SipResponse } from './types.js';
import { ALLOW, bodyText, buildResponse, firstHeader, hasOptionTag, text, type SipCore } from './user-agent-core.js';

/**
 * What UAC and UAS calls share once a dialog exists (RFC 3261 13-15, RFC 4028): BYE both ways,
 * re-INVITE both ways (hold/resume), INFO, OPTIONS in dialog, session timers, and the UAS 2xx
 * retransmission until ACK (13.3.1.4). The call set-up machines live in invite-session-uac.ts
 * and invite-session-uas.ts.
 */

export type CallEvents = {
  /** UAC: a provisional response (early media when sdp is present) */
  progress: { status: number; reason: string; sdp?: string };
  /** the call is up; sdp is the remote description (UAC: the answer; UAS: the offer it answered) */
  accepted: { sdp: string };
  /** the call never came up */
  failed: { status?: number; reason: string; code: ErrorCode };
  /** an established or ringing call ended */
  ended: { reason: string; by: 'local' | 'remote' | 'timeout' | 'error' };
  /**
   * the peer sent a re-INVITE or an UPDATE (hold/resume, a media move, a session refresh). With an
   * offer (`sdp` not empty) answer() takes our answer; with none (an SDP-less re-INVITE, RFC 3261
   * 14.2) answer() takes our offer, and the peer's answer arrives as 'answer' with its ACK.
   */
  reinvite: { method: 'INVITE' | 'UPDATE'; sdp: string; answer(sdp: string): void; reject(status?: number): void };
  /** the answer in the ACK to the offer we put in our 2xx (RFC 3264 4, RFC 3261 13.2.1); '' if the ACK had none */
  answer: { sdp: string };
  /** an INFO request (DTMF relay etc.), already answered 200 */
  info: { contentType?: string; body: string };
  state: { state: string };
};

export interface SessionTimerConfig {
  /** proposed Session-Expires in seconds (0 disables session timers) */
  sessionExpires: number;
  /** our Min-SE (RFC 4028 default 90) */
  minSE: number;
}

export interface SessionHooks {
  /** register a dialog with the UA so in-dialog requests and stray 2xx reach this session */
  bindDialog(dialog: Dialog, session: InviteSession): void;
  unbindDialog(dialog: Dialog): void;
  timers: SessionTimerConfig;
  /** incoming calls without a final answer after this long get 480 (default 180 s; 0 = never) */
  ringTimeoutMs?: number;
  /** randomness in [0, 1) for the glare back-off and our first CSeq (default Math.random) */
  random?: () => number;
}

export abstract class InviteSession extends TypedEmitter<CallEvents> {
  dialog: Dialog | undefined;
  localSdp = '';
  remoteSdp = '';
  private sessionTimer: TimerHandle | undefined;
  private sessionInterval = 0;
  private reinvitePending = false;
  /** 2xx to an INVITE we sent, by CSeq: the ACK to resend on retransmissions (13.2.2.4) */
  protected acks = new Map<number, SipRequest>();
  /** our 2xx being retransmitted until its ACK; `offered`: it carries our offer, the ACK the answer */
  private retransmit: { timer: TimerHandle | undefined; seq: number; offered: boolean } | undefined;

  constructor(
    protected readonly core: SipCore,
    protected readonly hooks: SessionHooks,
    readonly role: 'uac' | 'uas',
  ) {
    super();
  }

  abstract get state(): string;
  /** end this call from its machine's point of view */
  protected abstract finish(reason: string, by: CallEvents['ended']['by']): void;

  protected get random(): () => number {
    return this.hooks.random ?? Math.random;
  }

  get callId(): string | undefined {
    return this.dialog?.callId;
  }

  // ---------------------------------------------------------------- sending in the dialog

  /** Send a request in the dialog; resolves with its final response (undefined on timeout/error). */
  protected sendInDialog(method: string, opts: { headers?: Header[]; body?: Uint8Array; seq?: number } = {}): Promise<SipResponse | undefined> {
    const d = this.dialog;
    if (!d) return Promise.resolve(undefined);
    const { request, nextHop } = d.createRequest(method, opts);
    return this.core.resolveUri(nextHop).then(
      (dest) =>
        new Promise<SipResponse | undefined>((resolve) => {
          this.core.send(request, dest, {
            onResend: (r) => (d.localSeq = Math.max(d.localSeq, r.cseq.seq)),
            onFinal: (res) => {
              if (method === 'INVITE') this.on2xxToReinvite(res, request, dest);
              resolve(res);
            },
            onTimeout: () => resolve(undefined),
            onTransportError: () => resolve(undefined),
          });
        }),
      () => undefined,
    );
  }

  private on2xxToReinvite(res: SipResponse, req: SipRequest, dest: import('./types.js').Endpoint): void {
    if (res.status < 200 || res.status >= 300 || !this.dialog) return;
    // RFC 3261 13.2.2.4: the UA core ACKs every 2xx, retransmissions included.
    let ack = this.acks.get(res.cseq.seq);
    if (!ack) {
      ack = this.dialog.createRequest('ACK', { seq: res.cseq.seq }).request;
      this.acks.set(res.cseq.seq, ack);
      void this.core.layer.sendStateless(ack, dest).catch(() => undefined);
    } else {
      void this.core.layer.sendStateless(ack, dest, true).catch(() => undefined);
    }
    void req;
  }

  /** A 2xx that matched no transaction (retransmitted after timer M): resend its ACK. */
  onStray2xx(res: SipResponse): void {
    const ack = this.acks.get(res.cseq.seq);
    if (!ack || !this.dialog) return;
    const d = this.dialog;
    void this.core.resolveUri(d.createRequest('ACK', { seq: res.cseq.seq }).nextHop).then((dest) => this.core.layer.sendStateless(ack, dest, true)).catch(() => undefined);
  }

  /** Hang up an established call (RFC 3261 15.1.1). */
  bye(reason = 'hangup'): Promise<void> {
    return this.byeNow(reason);
  }

  protected async byeNow(reason: string): Promise<void> {
    if (!this.dialog || this.dialog.state === 'terminated') return;
    const d = this.dialog;
    d.transition('terminated');
    this.stopTimers();
    this.finish(reason, 'local');
    await this.sendInDialog('BYE');
    this.hooks.unbindDialog(d);
  }

  /** Send a new offer (hold/resume). Resolves with the peer's answer, or undefined if refused. */
  async reinvite(sdp: string): Promise<string | undefined> {
    if (!this.dialog || this.dialog.state !== 'confirmed' || this.reinvitePending) return undefined;
    this.reinvitePending = true;
    try {
      let res = await this.sendInDialog('INVITE', { headers: this.offerHeaders(), body: text(sdp) });
      if (res?.status === 491 && this.dialog?.state === 'confirmed') {
        // RFC 3261 14.1: glare. Retry once after a random wait: 2.1-4 s if we placed the call
        // (own the Call-ID), 0-2 s otherwise, so the two sides do not collide again.
        const wait = this.role === 'uac' ? 2100 + this.random() * 1900 : this.random() * 2000;
        this.reinvitePending = false;
        await new Promise<void>((resolve) => this.core.clock.setTimeout(resolve, wait));
        if (!this.dialog || this.dialog.state !== 'confirmed' || this.reinvitePending) return undefined;
        this.reinvitePending = true;
        res = await this.sendInDialog('INVITE', { headers: this.offerHeaders(), body: text(sdp) });
      }
      if (res && res.status >= 200 && res.status < 300) {
        this.localSdp = sdp;
        this.dialog?.refreshTarget(res);
        if (res.body.length > 0) this.remoteSdp = bodyText(res.body);
        this.applySessionTimer(res, 'uac');
        return this.remoteSdp;
      }
      if (res?.status === 481 || res?.status === 408 || !res) {
        // RFC 3261 14.1: 481/408 to a re-INVITE ends the dialog.
        await this.bye('re-INVITE failed');
      }
      return undefined;
    } finally {
      this.reinvitePending = false;
    }
  }

  /** Send an INFO in the dialog (e.g. application/dtmf-relay). Resolves with the status. */
  async sendInfo(contentType: string, body: string): Promise<number | undefined> {
    const res = await this.sendInDialog('INFO', { headers: [{ name: 'Content-Type', value: contentType }], body: text(body) });
    return res?.status;
  }

  protected offerHeaders(): Header[] {
    const h: Header[] = [{ name: 'Content-Type', value: 'application/sdp' }, { name: 'Supported', value: 'timer' }];
    const t = this.hooks.timers;
    if (t.sessionExpires > 0) {
      h.push({ name: 'Session-Expires', value: String(this.sessionInterval || t.sessionExpires) });
      h.push({ name: 'Min-SE', value: String(t.minSE) });
    }
    return h;
  }

  // ---------------------------------------------------------------- requests from the peer

  /** An in-dialog request from the peer (the UA found our dialog by Call-ID and tags). */
  handleRequest(req: SipRequest, tx: ServerTransaction | undefined): void {
    const d = this.dialog;
    if (req.method === 'ACK') {
      this.onAck(req);
      return;
    }
    if (!tx || !d) return;
    // RFC 3261 12.2.2: a lower CSeq than the last one is out of order -> 500.
    const seq = d.checkRemoteSeq(req);
    if (!seq.ok) {
      tx.respond(buildResponse(req, 500, { reason: seq.reason }));
      return;
    }
    switch (req.method) {
      case 'BYE':
        // RFC 3261 15.1.2: answer 200 and end the session.
        tx.respond(buildResponse(req, 200));
        d.transition('terminated');
        this.stopTimers();
        this.hooks.unbindDialog(d);
        this.finish('remote hangup', 'remote');
        return;
      case 'INVITE':
        this.onReinvite(req, tx);
        return;
      case 'UPDATE':
        this.onUpdate(req, tx);
        return;
      case 'INFO':
        tx.respond(buildResponse(req, 200));
        this.emit('info', { contentType: firstHeader(req, 'Content-Type'), body: bodyText(req.body) });
        return;
      case 'OPTIONS':
        tx.respond(buildResponse(req, 200, { headers: [{ name: 'Allow', value: ALLOW }] }));
        return;
      default:
        tx.respond(buildResponse(req, 501));
    }
  }

  /** an offer of ours (in a 2xx to an SDP-less re-INVITE) still waits for its answer in the ACK */
  private get offerOutstanding(): boolean {
    return this.reinvitePending || this.retransmit?.offered === true;
  }

  private onReinvite(req: SipRequest, tx: ServerTransaction): void {
    if (this.offerOutstanding) {
      // RFC 3261 14.2: an INVITE while ours is pending -> 491 Request Pending; RFC 3264 4 / RFC 6337
      // 3.1: likewise a new offer while our offer (in a 2xx) waits for its answer.
      tx.respond(buildResponse(req, 491, { reason: 'Request Pending' }));
      return;
    }
    // RFC 3261 12.2.2: a re-INVITE is a target refresh request.
    this.dialog?.refreshTarget(req);
    const offer = bodyText(req.body);
    let answered = false;
    const answer = (sdp: string) => {
      if (answered) return;
      answered = true;
      this.localSdp = sdp;
      if (offer) this.remoteSdp = offer;
      const headers: Header[] = [{ name: 'Contact', value: this.dialog?.localContact ?? '' }, { name: 'Content-Type', value: 'application/sdp' }];
      headers.push(...this.sessionTimerAnswer(req));
      // RFC 3261 14.2: with no offer in the re-INVITE, the 2xx carries our offer and the ACK the answer.
      this.sendAnswer2xx(req, tx, buildResponse(req, 200, { headers, body: text(sdp) }), offer === '');
    };
    const reject = (status = 488) => {
      if (answered) return;
      answered = true;
      tx.respond(buildResponse(req, status));
    };
    // No listener: keep the current media (answer with our last description).
    if (this.listenerCount('reinvite') === 0) answer(this.localSdp);
    else this.emit('reinvite', { method: 'INVITE', sdp: offer, answer, reject });
  }

  /** RFC 3311: UPDATE in a confirmed dialog, with an offer (answered in its 200) or without (a session refresh). */
  private onUpdate(req: SipRequest, tx: ServerTransaction): void {
    const offer = bodyText(req.body);
    if (offer && this.offerOutstanding) {
      // RFC 3311 5.2: an offer while one of ours waits for its answer -> 491.
      tx.respond(buildResponse(req, 491, { reason: 'Request Pending' }));
      return;
    }
    // RFC 3311 5.2: UPDATE is a target refresh request.
    this.dialog?.refreshTarget(req);
    const headers: Header[] = [{ name: 'Contact', value: this.dialog?.localContact ?? '' }, ...this.sessionTimerAnswer(req)];
    const respond = (res: SipResponse) => {
      tx.respond(res);
      this.applySessionTimer(res, 'uas');
    };
    if (!offer) {
      respond(buildResponse(req, 200, { headers }));
      return;
    }
    let answered = false;
    const answer = (sdp: string) => {
      if (answered) return;
      answered = true;
      this.localSdp = sdp;
      this.remoteSdp = offer;
      respond(buildResponse(req, 200, { headers: [...headers, { name: 'Content-Type', value: 'application/sdp' }], body: text(sdp) }));
    };
    const reject = (status = 488) => {
      if (answered) return;
      answered = true;
      tx.respond(buildResponse(req, status));
    };
    if (this.listenerCount('reinvite') === 0) answer(this.localSdp);
    else this.emit('reinvite', { method: 'UPDATE', sdp: offer, answer, reject });
  }

  /** RFC 3261 13.3.1.4: send a 2xx and retransmit it at T1 doubling to T2 until the ACK; after 64*T1, BYE. */
  protected sendAnswer2xx(req: SipRequest, tx: ServerTransaction, res: SipResponse, offered = false): void {
    tx.respond(res);
    this.stopRetransmit();
    const { t1, t2 } = this.core.layer.timers;
    const started = this.core.clock.now();
    let interval = t1;
    const state = { timer: undefined as TimerHandle | undefined, seq: req.cseq.seq, offered };
    this.retransmit = state;
    const tick = () => {
      if (this.retransmit !== state) return;
      if (this.core.clock.now() - started >= 64 * t1) {
        this.retransmit = undefined;
        void this.byeNow('no ACK for the 2xx');
        return;
      }
      tx.respond(res);
      interval = Math.min(2 * interval, t2);
      state.timer = this.core.clock.setTimeout(tick, Math.min(interval, started + 64 * t1 - this.core.clock.now()));
    };
    state.timer = this.core.clock.setTimeout(tick, interval);
    this.applySessionTimer(res, 'uas');
  }

  private stopRetransmit(): void {
    if (this.retransmit) this.core.clock.clearTimeout(this.retransmit.timer);
    this.retransmit = undefined;
  }

  /** The ACK for our 2xx: stop retransmitting (RFC 3261 13.3.1.4). */
  protected onAck(req: SipRequest): boolean {
    const r = this.retransmit;
    if (r && r.seq === req.cseq.seq) {
      this.stopRetransmit();
      const sdp = bodyText(req.body);
      if (r.offered) {
        // RFC 3264 4 / RFC 3261 13.2.1: our 2xx held the offer, the ACK holds the answer.
        if (sdp) this.remoteSdp = sdp;
        this.emit('answer', { sdp });
      } else if (sdp && !this.remoteSdp) this.remoteSdp = sdp;
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- session timers (RFC 4028)

  /** RFC 4028 9: the Session-Expires (and Require) headers of our 2xx to an INVITE with a timer request. */
  protected sessionTimerAnswer(req: SipRequest): Header[] {
    const se = parseSessionExpires(firstHeader(req, 'Session-Expires'));
    if (!se || this.hooks.timers.sessionExpires <= 0) return [];
    const uacSupports = hasOptionTag(req, 'Supported', 'timer');
    // RFC 4028 9: keep the UAC's refresher choice; otherwise the UAC refreshes if it supports timers.
    const refresher = se.refresher ?? (uacSupports ? 'uac' : 'uas');
    const h: Header[] = [{ name: 'Session-Expires', value: `${se.interval};refresher=${refresher}` }];
    if (uacSupports) h.push({ name: 'Require', value: 'timer' });
    return h;
  }

  /** RFC 4028 7.4 / 9: start (or restart) the session timer from the 2xx. */
  protected applySessionTimer(res: SipResponse, we: 'uac' | 'uas'): void {
    const se = parseSessionExpires(firstHeader(res, 'Session-Expires'));
    if (this.sessionTimer) this.core.clock.clearTimeout(this.sessionTimer);
    this.sessionTimer = undefined;
    if (!se || this.hooks.timers.sessionExpires <= 0) return;
    this.sessionInterval = se.interval;
    // RFC 4028 7.4 / 9: the refresher param names a role in the transaction that set the timer.
    const refresherRole = se.refresher ?? 'uac';
    const ms = se.interval * 1000;
    if (refresherRole === we) {
      // RFC 4028 10: the refresher sends a refresh at half the interval.
      this.sessionTimer = this.core.clock.setTimeout(() => void this.reinvite(this.localSdp), ms / 2);
    } else {
      // RFC 4028 10: without a refresh, BYE before expiry (interval - min(32 s, interval/3)).
      this.sessionTimer = this.core.clock.setTimeout(() => void this.bye('session timer expired'), ms - Math.min(32_000, ms / 3));
    }
  }

  protected stopTimers(): void {
    this.stopRetransmit();
    if (this.sessionTimer) this.core.clock.clearTimeout(this.sessionTimer);
    this.sessionTimer = undefined;
  }
}

export function parseSessionExpires(v: string | undefined): { interval: number; refresher?: 'uac' | 'uas' } | undefined {
  if (!v) return undefined;
  const m = /^\s*(\d+)\s*(?:;(.*))?$/.exec(v);
  if (!m) return undefined;
  const r = /refresher\s*=\s*(uac|uas)/i.exec(m[2] ?? '');
  return { interval: Number(m[1]), ...(r ? { refresher: r[1].toLowerCase() as 'uac' | 'uas' } : {}) };
}
