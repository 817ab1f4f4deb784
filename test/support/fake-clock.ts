import type { Clock, TimerHandle } from '../../daemon/util/clock.js';

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A deterministic clock: time moves only when a test calls advance() or stall().
 * stall(ms) models a blocked process: time moves and nothing fires; the next advance() fires
 * everything overdue at the current time, as an event loop does after a block. `lateBy(n)` delays
 * the n-th timer (a busy machine whose timers fire late).
 */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Pending[] = [];

  constructor(
    start = 0,
    private readonly lateBy: (n: number) => number = () => 0,
  ) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.push({ id, at: this.t + Math.max(0, ms) + this.lateBy(id), fn });
    return { id } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const id = (handle as unknown as { id: number }).id;
    this.timers = this.timers.filter((p) => p.id !== id);
  }

  /** Number of timers still pending. */
  get pending(): number {
    return this.timers.length;
  }

  /** Move time without firing anything (the process was blocked). */
  stall(ms: number): void {
    this.t += ms;
  }

  /** Advance time by ms, firing due timers in order (timers set by timers fire too). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at); // overdue timers fire now, time never runs back
      next.fn();
    }
    this.t = end;
  }
}
