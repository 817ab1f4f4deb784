/**
 * Door codes keyed by DTMF during a call. One state machine:
 *   idle --digit--> collecting --terminator or digit timeout--> (match: open | no match: failed)
 *   after code_max_failures failures in a row: locked for code_lockout_s (doubling on each repeat;
 *   a right code resets the doubling). While locked every digit is refused, a right code too.
 */
import type { Clock, TimerHandle } from '../util/clock.js';

export interface DoorCodeConfig {
  relay: string;
  codes: string[];
  terminator: '#' | '*' | '';
  digit_timeout_ms: number;
}

export type CodeOutcome =
  | { kind: 'open'; relay: string }
  | { kind: 'failed'; failures: number; entered: number }
  | { kind: 'lockout'; seconds: number; failures: number }
  | { kind: 'refused'; lockedForMs: number };

export interface DoorCodeOptions {
  doors: DoorCodeConfig[];
  maxFailures: number;
  lockoutMs: number;
  clock: Clock;
  onOutcome(outcome: CodeOutcome): void;
}

type State = 'idle' | 'collecting' | 'locked';

export class DoorCodes {
  private state: State = 'idle';
  private buffer = '';
  private failures = 0;
  private lockouts = 0;
  private lockedUntil = 0;
  private timer: TimerHandle | undefined;
  private readonly terminators: Set<string>;
  private readonly timeoutMs: number;

  constructor(private readonly opts: DoorCodeOptions) {
    this.terminators = new Set(opts.doors.map((d) => d.terminator).filter((t) => t !== ''));
    this.timeoutMs = Math.min(...opts.doors.map((d) => d.digit_timeout_ms), 3000 * 10);
  }

  get locked(): boolean {
    return this.state === 'locked' && this.opts.clock.now() < this.lockedUntil;
  }

  private transition(to: State): void {
    const allowed: Record<State, State[]> = {
      idle: ['collecting', 'locked'],
      collecting: ['idle', 'locked', 'collecting'],
      locked: ['idle', 'locked'],
    };
    if (!allowed[this.state].includes(to)) throw new Error(`door codes: illegal move ${this.state} -> ${to}`);
    this.state = to;
  }

  digit(d: string): void {
    const now = this.opts.clock.now();
    if (this.state === 'locked') {
      if (now < this.lockedUntil) {
        this.opts.onOutcome({ kind: 'refused', lockedForMs: this.lockedUntil - now });
        return;
      }
      this.transition('idle');
    }
    this.opts.clock.clearTimeout(this.timer);
    if (this.terminators.has(d)) {
      if (this.buffer) this.finish();
      return;
    }
    if (!/^[0-9*#A-D]$/.test(d)) return;
    this.buffer += d;
    if (this.buffer.length > 32) this.buffer = this.buffer.slice(-32);
    this.transition('collecting');
    this.timer = this.opts.clock.setTimeout(() => this.finish(), this.timeoutMs);
  }

  private finish(): void {
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const entered = this.buffer;
    this.buffer = '';
    const door = this.opts.doors.find((d) => d.codes.includes(entered));
    if (door) {
      this.failures = 0;
      this.lockouts = 0;
      this.transition('idle');
      this.opts.onOutcome({ kind: 'open', relay: door.relay });
      return;
    }
    this.failures++;
    if (this.failures >= this.opts.maxFailures) {
      const ms = this.opts.lockoutMs * 2 ** this.lockouts;
      this.lockouts++;
      this.lockedUntil = this.opts.clock.now() + ms;
      const failures = this.failures;
      this.failures = 0;
      this.transition('locked');
      this.opts.onOutcome({ kind: 'failed', failures, entered: entered.length });
      this.opts.onOutcome({ kind: 'lockout', seconds: ms / 1000, failures });
      return;
    }
    this.transition('idle');
    this.opts.onOutcome({ kind: 'failed', failures: this.failures, entered: entered.length });
  }

  /** A call ended: a half-typed code is dropped (the failure count and lockout stay). */
  reset(): void {
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.buffer = '';
    if (this.state === 'collecting') this.transition('idle');
  }

  status(): { locked: boolean; lockedForS: number; failures: number } {
    const left = Math.max(0, this.lockedUntil - this.opts.clock.now());
    return { locked: this.locked, lockedForS: Math.ceil(left / 1000), failures: this.failures };
  }
}
