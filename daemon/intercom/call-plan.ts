/**
 * A button's call plan: ring targets in parallel (first answer wins, the rest are cancelled) or in
 * sequence (each for `perTargetMs`, then the next; a busy or rejecting target moves on at once),
 * within an overall ring timeout. Pure: legs come from an injected `dial`, time from the Clock.
 *
 *   ringing --leg answered--> answered      (parallel: cancel the other legs)
 *   ringing --all legs failed / ring timeout / cancel()--> failed
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { TypedEmitter } from '../util/events.js';

export interface LegEvents extends Record<string, unknown> {
  answered: void;
  /** the target refused, was busy, or could not be reached */
  failed: { status?: number; reason: string };
}

/** One INVITE toward one target, as the plan sees it. */
export interface Leg {
  readonly target: string;
  readonly events: TypedEmitter<LegEvents>;
  /** stop ringing this target (CANCEL) */
  cancel(): void;
}

export interface CallPlanOptions<L extends Leg = Leg> {
  targets: string[];
  mode: 'parallel' | 'sequential';
  ringTimeoutMs: number;
  perTargetMs: number;
  clock: Clock;
  dial(target: string): L;
}

export type PlanState = 'ringing' | 'answered' | 'failed';

export interface CallPlanEvents<L extends Leg = Leg> extends Record<string, unknown> {
  answered: { leg: L };
  failed: { reason: string; results: { target: string; status?: number; reason: string }[] };
  /** a target is being rung (sequential plans ring one after another) */
  dialing: { target: string };
}

export class CallPlan<L extends Leg = Leg> extends TypedEmitter<CallPlanEvents<L>> {
  private stateValue: PlanState = 'ringing';
  private readonly live = new Set<L>();
  private next = 0;
  private overall: TimerHandle | undefined;
  private perTarget: TimerHandle | undefined;
  private readonly results: { target: string; status?: number; reason: string }[] = [];

  constructor(private readonly opts: CallPlanOptions<L>) {
    super();
  }

  get state(): PlanState {
    return this.stateValue;
  }

  private transition(to: PlanState): boolean {
    if (this.stateValue !== 'ringing') return false; // answered and failed are final
    this.stateValue = to;
    return true;
  }

  start(): void {
    if (this.opts.targets.length === 0) {
      this.fail('no call targets are configured for this button');
      return;
    }
    this.overall = this.opts.clock.setTimeout(() => this.fail('nobody answered before the ring timeout'), this.opts.ringTimeoutMs);
    if (this.opts.mode === 'parallel') {
      for (const t of this.opts.targets) this.dialOne(t);
    } else {
      this.dialNext();
    }
  }

  private dialNext(): void {
    this.opts.clock.clearTimeout(this.perTarget);
    if (this.next >= this.opts.targets.length) {
      if (this.live.size === 0) this.fail('every target refused or did not answer');
      return;
    }
    const target = this.opts.targets[this.next++];
    const leg = this.dialOne(target);
    if (!leg || this.stateValue !== 'ringing') return;
    this.perTarget = this.opts.clock.setTimeout(() => {
      // moved on: this target did not answer in its slot
      this.results.push({ target, reason: 'no answer' });
      this.live.delete(leg);
      leg.cancel();
      this.dialNext();
    }, this.opts.perTargetMs);
  }

  private dialOne(target: string): L | undefined {
    let leg: L;
    try {
      leg = this.opts.dial(target);
    } catch (err) {
      this.results.push({ target, reason: (err as Error).message });
      if (this.opts.mode === 'sequential') this.dialNext();
      else if (this.live.size === 0 && this.results.length === this.opts.targets.length) this.fail('no target could be called');
      return undefined;
    }
    this.live.add(leg);
    this.emit('dialing', { target });
    leg.events.on('answered', () => this.onAnswered(leg));
    leg.events.on('failed', (f) => this.onLegFailed(leg, f));
    return leg;
  }

  private onAnswered(leg: L): void {
    if (!this.live.has(leg)) return;
    if (!this.transition('answered')) return;
    this.clearTimers();
    this.live.delete(leg);
    for (const other of this.live) other.cancel(); // first answer wins
    this.live.clear();
    this.emit('answered', { leg });
  }

  private onLegFailed(leg: L, f: { status?: number; reason: string }): void {
    if (!this.live.delete(leg) || this.stateValue !== 'ringing') return;
    this.results.push({ target: leg.target, ...f });
    if (this.opts.mode === 'sequential') this.dialNext();
    else if (this.live.size === 0) this.fail('every target refused or could not be reached');
  }

  private clearTimers(): void {
    this.opts.clock.clearTimeout(this.overall);
    this.opts.clock.clearTimeout(this.perTarget);
    this.overall = this.perTarget = undefined;
  }

  private fail(reason: string): void {
    if (!this.transition('failed')) return;
    this.clearTimers();
    for (const leg of this.live) leg.cancel();
    this.live.clear();
    this.emit('failed', { reason, results: this.results });
  }

  /** Stop ringing (a press while ringing, the API, shutdown). */
  cancel(reason = 'cancelled'): void {
    this.fail(reason);
  }
}
