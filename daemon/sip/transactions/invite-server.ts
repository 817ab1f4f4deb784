import type { SipRequest, SipResponse } from '../types.js';
import { TimerSet, type ServerTransactionUser, type TransactionEnv } from './common.js';

/**
 * INVITE server transaction, RFC 3261 17.2.1 (figure 7) with the Accepted state of RFC 6026 7.1:
 * after a 2xx the transaction stays for timer L = 64*T1, absorbs retransmitted INVITEs and carries
 * the TU's 2xx retransmissions (the TU drives those, RFC 3261 13.3.1.4).
 */
export type InviteServerState = 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';

const ALLOWED: Record<InviteServerState, InviteServerState[]> = {
  proceeding: ['proceeding', 'accepted', 'completed', 'terminated'],
  accepted: ['terminated'],
  completed: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

/** RFC 3261 17.2.1: send 100 Trying if the TU has not answered within 200 ms. */
export const TRYING_DELAY_MS = 200;

export class InviteServerTransaction {
  state: InviteServerState = 'proceeding';
  private readonly timers: TimerSet;
  private lastResponse: SipResponse | undefined;
  private timerG = 0;

  constructor(
    readonly request: SipRequest,
    private readonly env: TransactionEnv,
    private tu: ServerTransactionUser,
    private readonly makeTrying: (req: SipRequest) => SipResponse,
  ) {
    this.timers = new TimerSet(env.clock);
  }

  /** Called once the request has been handed to the TU. */
  start(): void {
    this.timers.start('trying', TRYING_DELAY_MS, () => {
      if (this.state === 'proceeding' && !this.lastResponse) this.respond(this.makeTrying(this.request));
    });
  }

  /** The To tag of the last response (RFC 2543 ACK matching needs it). */
  get responseToTag(): string | undefined {
    const t = this.lastResponse?.to.params.tag;
    return t ?? undefined;
  }

  get lastStatus(): number | undefined {
    return this.lastResponse?.status;
  }

  private transition(to: InviteServerState): boolean {
    if (!ALLOWED[this.state].includes(to)) return false;
    this.state = to;
    if (to === 'terminated') {
      this.timers.stopAll();
      this.tu.onTerminated?.();
    }
    return true;
  }

  /** The TU answers (RFC 3261 17.2.1). Returns false when the state does not allow it. */
  respond(res: SipResponse): boolean {
    const s = this.state;
    if (res.status < 200) {
      // RFC 3261 17.2.1: provisional responses are passed to the transport in Proceeding.
      if (s !== 'proceeding') return false;
      this.timers.stop('trying');
      this.lastResponse = res;
      this.env.send(res, false);
      return true;
    }
    if (res.status < 300) {
      if (s === 'proceeding') {
        // RFC 6026 7.1: a 2xx from the TU -> Accepted, timer L = 64*T1.
        this.timers.stopAll();
        this.lastResponse = res;
        this.transition('accepted');
        this.env.send(res, false);
        this.timers.start('L', 64 * this.env.timers.t1, () => this.transition('terminated'));
        return true;
      }
      if (s === 'accepted') {
        // RFC 6026 7.1: 2xx retransmissions from the TU are passed to the transport in Accepted.
        this.env.send(res, true);
        return true;
      }
      return false;
    }
    if (s !== 'proceeding') return false;
    // RFC 3261 17.2.1: a 300-699 from the TU -> Completed; timer G (T1, unreliable only), timer H = 64*T1.
    this.timers.stopAll();
    this.lastResponse = res;
    this.transition('completed');
    this.env.send(res, false);
    if (!this.env.reliable) {
      this.timerG = this.env.timers.t1;
      this.timers.start('G', this.timerG, () => this.onTimerG());
    }
    this.timers.start('H', 64 * this.env.timers.t1, () => this.onTimerH());
    return true;
  }

  private onTimerG(): void {
    if (this.state !== 'completed' || !this.lastResponse) return;
    // RFC 3261 17.2.1: timer G -> retransmit the response, interval min(2*G, T2).
    this.env.send(this.lastResponse, true);
    this.timerG = Math.min(2 * this.timerG, this.env.timers.t2);
    this.timers.start('G', this.timerG, () => this.onTimerG());
  }

  private onTimerH(): void {
    if (this.state !== 'completed') return;
    // RFC 3261 17.2.1: timer H without an ACK -> Terminated and tell the TU.
    this.transition('terminated');
    this.tu.onTimeout?.();
  }

  /** A request matched to this transaction: a retransmitted INVITE or an ACK. */
  receiveRequest(req: SipRequest): void {
    const s = this.state;
    if (req.method === 'ACK') {
      if (s === 'completed') {
        // RFC 3261 17.2.1: ACK in Completed -> Confirmed; timer I = T4 (0 on reliable transports).
        this.timers.stop('G');
        this.timers.stop('H');
        this.transition('confirmed');
        this.timers.start('I', this.env.reliable ? 0 : this.env.timers.t4, () => this.transition('terminated'));
      } else if (s === 'accepted') {
        // RFC 6026 7.1: an ACK in Accepted is passed to the TU.
        this.tu.onAck?.(req);
      }
      // Confirmed absorbs further ACKs (RFC 3261 17.2.1).
      return;
    }
    // A retransmitted INVITE.
    if (s === 'proceeding' || s === 'completed') {
      // RFC 3261 17.2.1: retransmissions in Proceeding/Completed -> resend the last response.
      if (this.lastResponse) this.env.send(this.lastResponse, true);
    }
    // RFC 6026 7.1: retransmissions in Accepted are absorbed (the TU retransmits the 2xx itself).
  }

  /** RFC 3261 17.2.1 / 17.2.4: a transport error -> Terminated and tell the TU. */
  transportError(err: Error): void {
    if (this.state === 'terminated') return;
    this.transition('terminated');
    this.tu.onTransportError?.(err);
  }

  /** The TU subscribes to timeout/ACK/termination after the request was handed to it. */
  attach(user: ServerTransactionUser): void {
    const prev = this.tu;
    this.tu = {
      onTimeout: () => { prev.onTimeout?.(); user.onTimeout?.(); },
      onTransportError: (e) => { prev.onTransportError?.(e); user.onTransportError?.(e); },
      onTerminated: () => { prev.onTerminated?.(); user.onTerminated?.(); },
      onAck: (a) => { prev.onAck?.(a); user.onAck?.(a); },
    };
  }

  destroy(): void {
    this.timers.stopAll();
    this.state = 'terminated';
  }
}
