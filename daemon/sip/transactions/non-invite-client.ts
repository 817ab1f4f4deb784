import type { SipRequest, SipResponse } from '../types.js';
import { TimerSet, type ClientTransactionUser, type TransactionEnv } from './common.js';

/** Non-INVITE client transaction, RFC 3261 17.1.2 (figure 6). */
export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

const ALLOWED: Record<NonInviteClientState, NonInviteClientState[]> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['proceeding', 'completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

export class NonInviteClientTransaction {
  state: NonInviteClientState = 'trying';
  private readonly timers: TimerSet;
  private timerE = 0;

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

  start(): void {
    const { t1 } = this.env.timers;
    this.env.send(this.request, false);
    // RFC 3261 17.1.2.2: timer E = T1 on unreliable transports; timer F = 64*T1 always.
    if (!this.env.reliable) {
      this.timerE = t1;
      this.timers.start('E', this.timerE, () => this.onTimerE());
    }
    this.timers.start('F', 64 * t1, () => this.onTimerF());
  }

  private transition(to: NonInviteClientState): boolean {
    if (!ALLOWED[this.state].includes(to)) return false;
    this.state = to;
    if (to === 'terminated') {
      this.timers.stopAll();
      this.tu.onTerminated?.();
    }
    return true;
  }

  private onTimerE(): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.env.send(this.request, true);
    // RFC 3261 17.1.2.2: in Trying the interval doubles up to T2; in Proceeding it is T2.
    this.timerE = this.state === 'trying' ? Math.min(2 * this.timerE, this.env.timers.t2) : this.env.timers.t2;
    this.timers.start('E', this.timerE, () => this.onTimerE());
  }

  private onTimerF(): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    // RFC 3261 17.1.2.2: timer F in Trying or Proceeding -> timeout to the TU, Terminated.
    this.transition('terminated');
    this.tu.onTimeout();
  }

  receiveResponse(res: SipResponse): void {
    const s = this.state;
    if (s !== 'trying' && s !== 'proceeding') {
      // RFC 3261 17.1.2.2: Completed absorbs retransmitted responses.
      return;
    }
    if (res.status < 200) {
      // RFC 3261 17.1.2.2: a provisional response -> Proceeding, to the TU.
      this.transition('proceeding');
      this.tu.onResponse(res);
      return;
    }
    // RFC 3261 17.1.2.2: a final response -> Completed, to the TU, timer K (T4, or 0 if reliable).
    this.timers.stopAll();
    this.transition('completed');
    this.tu.onResponse(res);
    if (this.state !== 'completed') return; // the TU may have destroyed us
    this.timers.start('K', this.env.reliable ? 0 : this.env.timers.t4, () => this.transition('terminated'));
  }

  /** RFC 3261 17.1.2.2: a transport error -> inform the TU, Terminated. */
  transportError(err: Error): void {
    if (this.state === 'terminated') return;
    this.transition('terminated');
    this.tu.onTransportError(err);
  }

  destroy(): void {
    this.timers.stopAll();
    this.state = 'terminated';
  }
}
