import type { SipRequest, SipResponse } from '../types.js';
import { TimerSet, type ServerTransactionUser, type TransactionEnv } from './common.js';

/** Non-INVITE server transaction, RFC 3261 17.2.2 (figure 8). */
export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

const ALLOWED: Record<NonInviteServerState, NonInviteServerState[]> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['proceeding', 'completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

export class NonInviteServerTransaction {
  state: NonInviteServerState = 'trying';
  private readonly timers: TimerSet;
  private lastResponse: SipResponse | undefined;

  constructor(
    readonly request: SipRequest,
    private readonly env: TransactionEnv,
    private tu: ServerTransactionUser,
  ) {
    this.timers = new TimerSet(env.clock);
  }

  start(): void {
    // Nothing to arm: the TU answers; Trying absorbs retransmissions (RFC 3261 17.2.2).
  }

  get lastStatus(): number | undefined {
    return this.lastResponse?.status;
  }

  private transition(to: NonInviteServerState): boolean {
    if (!ALLOWED[this.state].includes(to)) return false;
    this.state = to;
    if (to === 'terminated') {
      this.timers.stopAll();
      this.tu.onTerminated?.();
    }
    return true;
  }

  respond(res: SipResponse): boolean {
    const s = this.state;
    if (s !== 'trying' && s !== 'proceeding') return false;
    this.lastResponse = res;
    if (res.status < 200) {
      // RFC 3261 17.2.2: a provisional response in Trying/Proceeding -> Proceeding, sent.
      this.transition('proceeding');
      this.env.send(res, false);
      return true;
    }
    // RFC 3261 17.2.2: a final response -> Completed, timer J = 64*T1 (0 on reliable transports).
    this.transition('completed');
    this.env.send(res, false);
    this.timers.start('J', this.env.reliable ? 0 : 64 * this.env.timers.t1, () => this.transition('terminated'));
    return true;
  }

  /** A retransmission of the request. */
  receiveRequest(_req: SipRequest): void {
    // RFC 3261 17.2.2: Trying discards retransmissions; Proceeding and Completed resend the last response.
    if ((this.state === 'proceeding' || this.state === 'completed') && this.lastResponse) {
      this.env.send(this.lastResponse, true);
    }
  }

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
