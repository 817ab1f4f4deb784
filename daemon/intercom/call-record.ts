/**
 * The intercom's record of one call, either direction, as a state machine:
 *
 *   ringing --answered (200 to our INVITE / ACK of ours)--> connected
 *   connected --peer's offer is sendonly/inactive or c=0.0.0.0--> held --sendrecv offer--> connected
 *   ringing | connected | held --BYE, CANCEL, reject, failure, timeout--> ended
 *
 * transition() refuses any other move (and every move out of ended).
 */
import type { TimerHandle } from '../util/clock.js';
import type { CallPlan } from './call-plan.js';
import type { Conversation } from './call-session.js';
import type { IncomingSipCall } from './sip-port.js';

export type CallState = 'ringing' | 'connected' | 'held' | 'ended';

const ALLOWED: Record<CallState, readonly CallState[]> = {
  // RFC 3261 13.2.2.4 / 13.3.1.4: a 2xx (and its ACK) establishes the session; or it never comes up
  ringing: ['connected', 'ended'],
  // RFC 3264 8.4: the peer puts the stream on hold; RFC 3261 15: BYE ends the session
  connected: ['held', 'ended'],
  // RFC 3264 8.4: resuming is a new offer with sendrecv
  held: ['connected', 'ended'],
  ended: [],
};

export class CallRecord {
  private stateValue: CallState = 'ringing';
  answeredAt?: number;
  endedAt?: number;
  endReason?: string;
  button?: string;
  plan?: CallPlan;
  /** the session that carries the conversation once answered */
  session?: Conversation;
  incoming?: IncomingSipCall;
  readonly timers: TimerHandle[] = [];

  constructor(
    readonly id: string,
    readonly direction: 'outgoing' | 'incoming',
    public peer: string,
    readonly startedAt: number,
  ) {}

  get state(): CallState {
    return this.stateValue;
  }

  /** up: connected or held */
  get up(): boolean {
    return this.stateValue === 'connected' || this.stateValue === 'held';
  }

  transition(to: CallState, now: number): boolean {
    if (!ALLOWED[this.stateValue].includes(to)) return false;
    this.stateValue = to;
    if (to === 'connected' && this.answeredAt === undefined) this.answeredAt = now;
    if (to === 'ended') this.endedAt = now;
    return true;
  }
}
