import { Dialog, dialogKey } from './dialog.js';
import { InviteSession, type CallEvents, type SessionHooks } from './invite-session.js';
import type { Endpoint, Header, SipRequest, SipResponse, SipUri } from './types.js';
import { ALLOW, bodyText, firstHeader, text, type RequestHandle, type SipCore } from './user-agent-core.js';

/**
 * The UAC side of an INVITE session (RFC 3261 13.2): offer in the INVITE, provisional responses
 * (early media), ACK for every 2xx (built here, not by the transaction), CANCEL only after a
 * provisional (9.1), forks answered with ACK + BYE, failures reported with their status.
 */
export type OutgoingCallState = 'calling' | 'proceeding' | 'cancelling' | 'confirmed' | 'terminated';

const ALLOWED: Record<OutgoingCallState, OutgoingCallState[]> = {
  calling: ['proceeding', 'cancelling', 'confirmed', 'terminated'],
  proceeding: ['proceeding', 'cancelling', 'confirmed', 'terminated'],
  cancelling: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

export interface OutgoingCallOptions {
  target: SipUri;
  sdp: string;
  headers?: Header[];
  /** where to send the INVITE (registrar for bare extensions); default: outbound proxy or the target */
  nextHop?: SipUri;
}

export class OutgoingCall extends InviteSession {
  private _state: OutgoingCallState = 'calling';
  private handle: RequestHandle | undefined;
  private cancelWanted = false;
  private gotProvisional = false;
  private retried422 = false;
  private destination: Endpoint | undefined;
  /** dialogs created by forked 2xx we did not keep (ACKed then BYEd) */
  private readonly forks = new Map<string, Dialog>();

  constructor(core: SipCore, hooks: SessionHooks, readonly options: OutgoingCallOptions) {
    super(core, hooks, 'uac');
    this.localSdp = options.sdp;
  }

  get state(): OutgoingCallState {
    return this._state;
  }

  /** the INVITE as last sent (after digest retries) */
  get invite(): SipRequest | undefined {
    return this.handle?.request;
  }

  private transition(to: OutgoingCallState): boolean {
    if (!ALLOWED[this._state].includes(to)) return false;
    this._state = to;
    this.emit('state', { state: to });
    return true;
  }

  /** Resolve the target and send the INVITE. */
  async start(): Promise<void> {
    const core = this.core;
    let dest: Endpoint;
    try {
      dest = await core.resolveUri(this.options.nextHop ?? core.outOfDialogHop(this.options.target));
    } catch (err) {
      this.fail(undefined, `cannot resolve ${this.options.target.host}: ${(err as Error).message}`, 'SIP_TRANSPORT');
      return;
    }
    if (this._state === 'terminated') return;
    this.destination = dest;
    const headers: Header[] = [{ name: 'Contact', value: core.contactFor(dest) }, { name: 'Allow', value: ALLOW }, ...this.offerHeaders(), ...(this.options.headers ?? [])];
    const req = core.newRequest('INVITE', this.options.target, this.options.target, { headers, body: text(this.options.sdp) });
    this.sendInvite(req, dest);
  }

  private sendInvite(req: SipRequest, dest: Endpoint): void {
    this.handle = this.core.send(req, dest, {
      onProvisional: (res) => this.onProvisional(res),
      onFinal: (res, authFailed) => this.onFinal(res, authFailed),
      onTimeout: () => this.fail(408, 'no answer (timer B)', 'SIP_TIMEOUT'),
      onTransportError: (e) => this.fail(503, `transport error: ${e.message}`, 'SIP_TRANSPORT'),
    });
  }

  /** RFC 4028 7.4: after 422, retry once with Session-Expires raised to the peer's Min-SE. */
  private retryWithMinSE(res: SipResponse): boolean {
    const prev = this.handle?.request;
    const minSE = Number(firstHeader(res, 'Min-SE')?.split(';')[0]);
    if (this.retried422 || !prev || !this.destination || !Number.isFinite(minSE) || this._state === 'cancelling') return false;
    this.retried422 = true;
    const headers = prev.headers.filter((h) => h.name !== 'Session-Expires' && h.name !== 'Min-SE');
    headers.push({ name: 'Session-Expires', value: String(minSE) }, { name: 'Min-SE', value: String(minSE) });
    this.sendInvite({ ...prev, via: [], cseq: { seq: prev.cseq.seq + 1, method: 'INVITE' }, headers }, this.destination);
    return true;
  }

  private onProvisional(res: SipResponse): void {
    if (this._state !== 'calling' && this._state !== 'proceeding' && this._state !== 'cancelling') return;
    this.gotProvisional = true;
    if (this._state !== 'cancelling') this.transition('proceeding');
    const sdp = res.body.length > 0 ? bodyText(res.body) : undefined;
    // RFC 3261 13.2.2.1: provisional responses (with SDP: early media) are surfaced.
    this.emit('progress', { status: res.status, reason: res.reason, ...(sdp ? { sdp } : {}) });
    if (this.cancelWanted) this.sendCancel();
  }

  private onFinal(res: SipResponse, authFailed: boolean): void {
    if (res.status >= 200 && res.status < 300) {
      this.on2xx(res);
      return;
    }
    if (this._state === 'cancelling' && res.status === 487) {
      this.transition('terminated');
      this.emit('ended', { reason: 'cancelled', by: 'local' });
      return;
    }
    if (res.status === 422 && this.retryWithMinSE(res)) return;
    if (authFailed) this.fail(res.status, 'authentication failed', 'SIP_AUTH_FAILED');
    else this.fail(res.status, `${res.status} ${res.reason}`, 'SIP_REJECTED');
  }

  private on2xx(res: SipResponse): void {
    const invite = this.handle?.request;
    const dest = this.destination;
    if (!invite || !dest) return;
    const tag = res.to.params.tag ?? '';
    const key = dialogKey(invite.callId, invite.from.params.tag ?? '', tag);
    // A retransmission of a 2xx we already ACKed: resend that ACK (RFC 3261 13.2.2.4).
    const known = this.dialog?.key === key ? this.dialog : this.forks.get(key);
    if (known) {
      const ack = this.acks.get(res.cseq.seq);
      if (ack && known === this.dialog) void this.sendAck(known, ack, dest, true);
      else if (known !== this.dialog) this.ackFork(known, res, dest, true);
      return;
    }
    const dialog = Dialog.asUac(invite, res);
    if (!dialog) {
      // A 2xx without Contact cannot be ACKed to a target; treat it as a failure.
      this.fail(res.status, '2xx without a usable Contact', 'SIP_REJECTED');
      return;
    }
    dialog.localSeq = invite.cseq.seq;
    if (this.dialog || this._state === 'terminated') {
      // RFC 3261 13.2.2.4: a second 2xx from another fork: ACK it, then BYE that dialog.
      this.forks.set(key, dialog);
      this.ackFork(dialog, res, dest, false);
      return;
    }
    this.dialog = dialog;
    this.hooks.bindDialog(dialog, this);
    const ack = dialog.createRequest('ACK', { seq: invite.cseq.seq }).request;
    this.acks.set(invite.cseq.seq, ack);
    const acked = this.sendAck(dialog, ack, dest, false);
    this.remoteSdp = bodyText(res.body);
    this.applySessionTimer(res, 'uac');
    const wasCancelling = this._state === 'cancelling';
    this.transition('confirmed');
    if (wasCancelling || this.cancelWanted) {
      // RFC 3261 9.1: the 2xx crossed our CANCEL: the call is up, so end it with BYE (after the ACK).
      void acked.then(() => this.bye('cancelled'));
      return;
    }
    this.emit('accepted', { sdp: this.remoteSdp });
  }

  /** RFC 3261 13.2.2.4: the 2xx ACK goes to the dialog's next hop, outside any transaction. */
  private sendAck(d: Dialog, ack: SipRequest, fallback: Endpoint, retransmission: boolean): Promise<void> {
    return this.core
      .resolveUri(d.createRequest('ACK', { seq: ack.cseq.seq }).nextHop)
      .catch(() => fallback)
      .then((to) => this.core.layer.sendStateless(ack, to, retransmission))
      .catch(() => undefined);
  }

  private ackFork(d: Dialog, res: SipResponse, dest: Endpoint, retransmission: boolean): void {
    const ack = d.createRequest('ACK', { seq: res.cseq.seq });
    const acked = this.core
      .resolveUri(ack.nextHop)
      .catch(() => dest)
      .then((to) => this.core.layer.sendStateless(ack.request, to, retransmission))
      .catch(() => undefined);
    if (retransmission) return;
    const bye = d.createRequest('BYE');
    void acked
      .then(() => this.core.resolveUri(bye.nextHop))
      .then((to) => this.core.send(bye.request, to, { onFinal: () => undefined, onTimeout: () => undefined, onTransportError: () => undefined }))
      .catch(() => undefined);
  }

  /** Stop ringing: CANCEL after a provisional (RFC 3261 9.1), or BYE if already answered. */
  cancel(): void {
    if (this._state === 'confirmed') {
      void this.bye('cancelled');
      return;
    }
    if (this._state !== 'calling' && this._state !== 'proceeding') return;
    this.cancelWanted = true;
    this.transition('cancelling');
    // RFC 3261 9.1: a CANCEL must not be sent before a provisional response arrived.
    if (this.gotProvisional) this.sendCancel();
  }

  private sendCancel(): void {
    const invite = this.handle?.request;
    const dest = this.destination;
    if (!invite || !dest || !this.cancelWanted) return;
    this.cancelWanted = false;
    // RFC 3261 9.1: CANCEL copies Request-URI, Call-ID, To, From, the CSeq number, the top Via
    // (same branch) and Route of the INVITE.
    const cancel: SipRequest = {
      kind: 'request',
      method: 'CANCEL',
      uri: invite.uri,
      version: 'SIP/2.0',
      via: invite.via.slice(0, 1),
      from: invite.from,
      to: invite.to,
      callId: invite.callId,
      cseq: { seq: invite.cseq.seq, method: 'CANCEL' },
      headers: invite.headers.filter((h) => h.name === 'Route' || h.name === 'Max-Forwards'),
      body: new Uint8Array(0),
    };
    this.core.layer.sendRequest(cancel, dest, { onResponse: () => undefined, onTimeout: () => undefined, onTransportError: () => undefined });
  }

  private fail(status: number | undefined, reason: string, code: CallEvents['failed']['code']): void {
    if (this._state === 'terminated' || this._state === 'confirmed') return;
    this.transition('terminated');
    this.emit('failed', { ...(status !== undefined ? { status } : {}), reason, code });
  }

  protected finish(reason: string, by: CallEvents['ended']['by']): void {
    if (this._state === 'terminated') return;
    const wasUp = this._state === 'confirmed';
    this.transition('terminated');
    if (wasUp) this.emit('ended', { reason, by });
    else this.emit('failed', { reason, code: 'SIP_REJECTED' });
  }

  /** Hang up whatever the state: CANCEL while ringing, BYE when up. */
  hangup(): void {
    if (this._state === 'confirmed') void this.bye();
    else this.cancel();
  }
}
