import type { SipRequest, SipResponse } from '../types.js';
import { TimerSet, type ClientTransactionUser, type TransactionEnv } from './common.js';

/**
 * INVITE client transaction, RFC 3261 17.1.1 with the Accepted state of RFC 6026 7.2
 * (2xx responses and their retransmissions go to the TU, which builds and resends the 2xx ACK).
 */
export type InviteClientState = 'calling' | 'proceeding' | 'accepted' | 'completed' | 'terminated';

const ALLOWED: Record<InviteClientState, InviteClientState[]> = {
  calling: ['proceeding', 'accepted', 'completed', 'terminated'],
  proceeding: ['proceeding', 'accepted', 'completed', 'terminated'],
  accepted: ['terminated'],
  completed: ['terminated'],
  terminated: [],
};

export class InviteClientTransaction {
  state: InviteClientState = 'calling';
  private readonly timers: TimerSet;
  private ack: SipRequest | undefined;
  private timerA = 0;

  constructor(
    readonly request: SipRequest,
    private readonly env: TransactionEnv,
    private readonly tu: ClientTransactionUser,
  ) {
    this.timers = new TimerSet(env.clock);
  }

  get branch(): string {
    return String(this.request.via[0]?.params.branch ?? '');
  }

  /** Send the INVITE and start timers A and B. */
  start(): void {
    const { t1 } = this.env.timers;
    this.env.send(this.request, false);
    // RFC 3261 17.1.1.2: timer A (T1) only for unreliable transports; timer B = 64*T1 always.
    if (!this.env.reliable) {
      this.timerA = t1;
      this.timers.start('A', this.timerA, () => this.onTimerA());
    }
    this.timers.start('B', 64 * t1, () => this.onTimerB());
  }

  private transition(to: InviteClientState): boolean {
    if (!ALLOWED[this.state].includes(to)) return false;
    this.state = to;
    if (to === 'terminated') {
      this.timers.stopAll();
      this.tu.onTerminated?.();
    }
    return true;
  }

  private onTimerA(): void {
    if (this.state !== 'calling') return;
    // RFC 3261 17.1.1.2: on timer A the client retransmits and doubles the interval.
    this.env.send(this.request, true);
    this.timerA *= 2;
    this.timers.start('A', this.timerA, () => this.onTimerA());
  }

  private onTimerB(): void {
    if (this.state !== 'calling') return;
    // RFC 3261 17.1.1.2: timer B fires in Calling -> inform the TU of the timeout, Terminated.
    this.transition('terminated');
    this.tu.onTimeout();
  }

  receiveResponse(res: SipResponse): void {
    const s = this.state;
    if (res.status < 200) {
      // RFC 3261 17.1.1.2: a provisional response in Calling or Proceeding -> Proceeding, to the TU;
      // retransmissions of the INVITE stop (timer A) and timer B no longer applies.
      if (s !== 'calling' && s !== 'proceeding') return;
      this.timers.stop('A');
      this.timers.stop('B');
      this.transition('proceeding');
      this.tu.onResponse(res);
      return;
    }
    if (res.status < 300) {
      // RFC 6026 7.2: a 2xx in Calling/Proceeding -> Accepted (timer M = 64*T1); every 2xx,
      // retransmissions and other forks included, goes to the TU while Accepted.
      if (s === 'calling' || s === 'proceeding') {
        this.timers.stopAll();
        this.transition('accepted');
        this.timers.start('M', 64 * this.env.timers.t1, () => this.transition('terminated'));
        this.tu.onResponse(res);
      } else if (s === 'accepted') {
        this.tu.onResponse(res);
      }
      return;
    }
    // 300-699
    if (s === 'calling' || s === 'proceeding') {
      // RFC 3261 17.1.1.2: a final non-2xx -> Completed, ACK it, pass it up, timer D
      // (at least 32 s on unreliable transports, zero on reliable ones).
      this.timers.stopAll();
      this.transition('completed');
      this.ack = buildNon2xxAck(this.request, res);
      this.env.send(this.ack, false);
      this.tu.onResponse(res);
      const d = this.env.reliable ? 0 : Math.max(32000, 64 * this.env.timers.t1);
      this.timers.start('D', d, () => this.transition('terminated'));
    } else if (s === 'completed' && this.ack) {
      // RFC 3261 17.1.1.2: a retransmitted final response in Completed -> resend the ACK, not to the TU.
      this.env.send(this.ack, true);
    }
  }

  /** RFC 3261 17.1.1.2: a transport error -> inform the TU, Terminated. */
  transportError(err: Error): void {
    if (this.state === 'terminated') return;
    this.transition('terminated');
    this.tu.onTransportError(err);
  }

  /** Stop without telling the TU (layer shutdown). */
  destroy(): void {
    this.timers.stopAll();
    this.state = 'terminated';
  }
}

/**
 * RFC 3261 17.1.1.3: the ACK for a non-2xx final response: same Request-URI, Call-ID, From and
 * CSeq number as the INVITE, To from the response (with its tag), only the INVITE's top Via,
 * and the INVITE's Route headers.
 */
export function buildNon2xxAck(invite: SipRequest, res: SipResponse): SipRequest {
  return {
    kind: 'request',
    method: 'ACK',
    uri: invite.uri,
    version: invite.version,
    via: invite.via.slice(0, 1),
    from: invite.from,
    to: res.to,
    callId: invite.callId,
    cseq: { seq: invite.cseq.seq, method: 'ACK' },
    headers: invite.headers.filter((h) => h.name === 'Route' || h.name === 'Max-Forwards'),
    body: new Uint8Array(0),
  };
}
