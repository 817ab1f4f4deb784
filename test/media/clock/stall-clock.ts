import type { Clock, TimerHandle } from '../../../daemon/util/clock.js';

/**
 * A manual clock for the media-clock tests that, unlike FakeClock, can model a process that is
 * blocked: stall(ms) moves time without firing anything, the next advance() then fires everything
 * overdue at the current time (as an event loop does after a block). `lateBy` delays every timer
 * (a busy machine whose timers always fire late).
 */
export class StallClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: Array<{ id: number; at: number; fn: () => void }> = [];
  constructor(private readonly lateBy: (n: number) => number = () => 0) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.push({ id, at: this.t + Math.max(0, ms) + this.lateBy(id), fn });
    return { id } as unknown as TimerHandle;
  }

  clearTimeout(h: TimerHandle | undefined): void {
    if (!h) return;
    const id = (h as unknown as { id: number }).id;
    this.timers = this.timers.filter((x) => x.id !== id);
  }

  get pending(): number {
    return this.timers.length;
  }

  stall(ms: number): void {
    this.t += ms;
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}
