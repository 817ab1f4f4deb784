import type { TimerHandle } from '../util/clock.js';
import { Dialog } from './dialog.js';
import { InviteSession, parseSessionExpires, type CallEvents, type SessionHooks } from './invite-session.js';
import type { InviteServerTransaction } from './transactions/invite-server.js';
import type { Endpoint, Header, NameAddr, SipRequest } from './types.js';
import { ALLOW, bodyText, buildResponse, firstHeader, randomToken, text, type SipCore } from './user-agent-core.js';

/**
 * The UAS side of an INVITE session (RFC 3261 13.3): 100 comes from the transaction, the TU rings
 * (180), answers (200 + SDP, retransmitted until ACK) or rejects; CANCEL ends a ringing call
 * with 487 (9.2).
 */
export type IncomingCallState = 'incoming' | 'ringing' | 'answered' | 'confirmed' | 'terminated';

const ALLOWED: Record<IncomingCallState, IncomingCallState[]> = {
  incoming: ['ringing', 'answered', 'terminated'],
  ringing: ['answered', 'terminated'],
  answered: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

export class IncomingCall extends InviteSession {
  private _state: IncomingCallState = 'incoming';
  private readonly toTag = randomToken();
  private ringTimer: TimerHandle | undefined;
  private byeAfterAck: string | undefined;
  /** the caller's offer (may be empty: then the offer comes in the ACK, RFC 3261 13.3.1) */
  readonly offer: string;

  constructor(
    core: SipCore,
    hooks: SessionHooks,
    readonly request: SipRequest,
    private readonly tx: InviteServerTransaction,
    readonly source: Endpoint,
  ) {
    super(core, hooks, 'uas');
    this.offer = bodyText(request.body);
    this.remoteSdp = this.offer;
    tx.attach({ onTransportError: () => this.finish('transport error', 'error') });
    // Safety net (no RFC timer binds a UAS): a call nobody answers is ended with 480 after
    // hooks.ringTimeoutMs (default 180 s), so the INVITE transaction never lingers forever.
    const ms = hooks.ringTimeoutMs ?? 180_000;
    if (ms > 0) this.ringTimer = core.clock.setTimeout(() => this.reject(480, 'Temporarily Unavailable'), ms);
  }

  get state(): IncomingCallState {
    return this._state;
  }

  get from(): NameAddr {
    return this.request.from;
  }

  get to(): NameAddr {
    return this.request.to;
  }

  private transition(to: IncomingCallState): boolean {
    if (!ALLOWED[this._state].includes(to)) return false;
    if (to !== 'ringing') this.core.clock.clearTimeout(this.ringTimer);
    this._state = to;
    this.emit('state', { state: to });
    return true;
  }

  private contact(): string {
    return this.core.contactFor(this.source);
  }

  /** 180 Ringing (with a To tag: the early dialog, RFC 3261 13.3.1.1). */
  ring(sdp?: string): void {
    if (this._state !== 'incoming' && this._state !== 'ringing') return;
    this.transition('ringing');
    const headers: Header[] = [{ name: 'Contact', value: this.contact() }];
    if (sdp) headers.push({ name: 'Content-Type', value: 'application/sdp' });
    this.tx.respond(buildResponse(this.request, sdp ? 183 : 180, { toTag: this.toTag, headers, ...(sdp ? { body: text(sdp) } : {}) }));
  }

  /** 200 OK with our answer (RFC 3261 13.3.1.4); retransmitted until the ACK arrives. */
  accept(answerSdp: string): boolean {
    if (this._state !== 'incoming' && this._state !== 'ringing') return false;
    // RFC 3261 12.1.1: the dialog is confirmed once the UAS sends its 2xx.
    const dialog = Dialog.asUas(this.request, this.toTag, this.contact(), true, this.random);
    if (!dialog) {
      this.reject(400);
      return false;
    }
    this.dialog = dialog;
    this.hooks.bindDialog(dialog, this);
    this.localSdp = answerSdp;
    this.transition('answered');
    const headers: Header[] = [
      { name: 'Contact', value: this.contact() },
      { name: 'Allow', value: ALLOW },
      { name: 'Supported', value: 'timer' },
      { name: 'Content-Type', value: 'application/sdp' },
      ...this.sessionTimerAnswer(this.request),
    ];
    this.sendAnswer2xx(this.request, this.tx, buildResponse(this.request, 200, { toTag: this.toTag, headers, body: text(answerSdp) }));
    return true;
  }

  /** Reject with a final status (486 Busy Here, 603 Decline, 480 ...). */
  reject(status = 486, reason?: string): void {
    if (this._state !== 'incoming' && this._state !== 'ringing') return;
    this.tx.respond(buildResponse(this.request, status, { toTag: this.toTag, ...(reason ? { reason } : {}) }));
    this.transition('terminated');
    this.emit('ended', { reason: `rejected with ${status}`, by: 'local' });
  }

  /** RFC 3261 9.2: a CANCEL for this INVITE (the UA already answered the CANCEL with 200). */
  onCancel(): void {
    if (this._state !== 'incoming' && this._state !== 'ringing') return;
    this.tx.respond(buildResponse(this.request, 487, { toTag: this.toTag }));
    this.transition('terminated');
    this.emit('ended', { reason: 'cancelled', by: 'remote' });
  }

  protected override onAck(req: SipRequest): boolean {
    const ours = super.onAck(req);
    if (ours && this._state === 'answered') {
      this.transition('confirmed');
      this.emit('accepted', { sdp: this.remoteSdp });
      if (this.byeAfterAck !== undefined) void this.byeNow(this.byeAfterAck);
    }
    return ours;
  }

  /**
   * RFC 3261 15: the callee must not send BYE before the ACK for its 2xx arrived (or the 2xx
   * retransmissions gave up); a hang-up in between is held until then.
   */
  override bye(reason = 'hangup'): Promise<void> {
    if (this._state === 'answered') {
      this.byeAfterAck = reason;
      return Promise.resolve();
    }
    return this.byeNow(reason);
  }

  protected finish(reason: string, by: CallEvents['ended']['by']): void {
    if (this._state === 'terminated') return;
    this.transition('terminated');
    this.emit('ended', { reason, by });
  }

  /** RFC 4028 5: a Session-Expires below our Min-SE is refused with 422 (checked before ringing). */
  static sessionIntervalTooSmall(req: SipRequest, minSE: number): boolean {
    const se = parseSessionExpires(firstHeader(req, 'Session-Expires'));
    return !!se && se.interval < minSE;
  }
}
