/**
 * The 20 ms media tick. Every tick is scheduled against an absolute timeline (start + n * interval)
 * rather than re-armed relative to the last one, so timer lateness never accumulates into drift.
 * Lateness of every tick is measured. After a stall (GC pause, blocked event loop, suspended
 * process) it emits at most `maxBurst` overdue ticks and skips the older ones, counting the
 * resynchronisation, instead of bursting hundreds of ticks.
 *
 * Time comes from an injected Clock (architecture rule 1), so tests run on a fake clock.
 */
import type { Clock, TimerHandle } from '../util/clock.js';

export interface MediaClockOptions {
  clock: Clock;
  /** tick period, ms (default 20) */
  intervalMs?: number;
  /** a tick later than this counts as late in stats (default 5 ms) */
  lateThresholdMs?: number;
  /** the most overdue ticks emitted back to back after a stall (default 3) */
  maxBurst?: number;
  /**
   * stop when the last listener is removed (default false). A clock shared by every call of the
   * daemon sets this, so an idle door does not wake 50 times a second; start() runs it again.
   */
  stopWhenIdle?: boolean;
  /** a listener threw (reported once per listener; every throw is counted in stats.listenerErrors) */
  onListenerError?: (err: unknown) => void;
}

/**
 * `tickIndex` is the tick's slot on the timeline: tick n is due at start + (n + 1) * interval.
 * It counts up by one per tick, and jumps by the skipped count after a resynchronisation, so it
 * always says how many intervals have passed (e.g. for RTP timestamps).
 */
export type TickListener = (tickIndex: number, lateMs: number) => void;

export interface MediaClockStats {
  running: boolean;
  intervalMs: number;
  /** ticks emitted */
  ticks: number;
  /** lateness of the last tick, ms */
  lastLateMs: number;
  maxLateMs: number;
  meanLateMs: number;
  /** ticks later than lateThresholdMs */
  lateTicks: number;
  /** times the clock gave up catching up and jumped to the present */
  resyncs: number;
  /** ticks skipped by those resynchronisations */
  skippedTicks: number;
  /** listener exceptions caught (a throwing listener never stops the clock) */
  listenerErrors: number;
}

export class MediaClock {
  private readonly clock: Clock;
  private readonly interval: number;
  private readonly lateThreshold: number;
  private readonly maxBurst: number;
  private readonly stopWhenIdle: boolean;
  private readonly listeners = new Set<TickListener>();
  private timer: TimerHandle | undefined;
  private running = false;
  /** timeline origin and the index of the next slot to emit */
  private origin = 0;
  private next = 0;
  private st = { ticks: 0, lastLateMs: 0, maxLateMs: 0, sumLateMs: 0, lateTicks: 0, resyncs: 0, skippedTicks: 0, listenerErrors: 0 };

  private readonly reported = new WeakSet<object>();
  private readonly onListenerError: ((err: unknown) => void) | undefined;

  constructor(opts: MediaClockOptions) {
    this.onListenerError = opts.onListenerError;
    this.clock = opts.clock;
    this.interval = opts.intervalMs ?? 20;
    this.lateThreshold = opts.lateThresholdMs ?? 5;
    this.maxBurst = Math.max(1, Math.floor(opts.maxBurst ?? 3));
    this.stopWhenIdle = opts.stopWhenIdle ?? false;
    if (!(this.interval > 0)) throw new RangeError('MediaClock intervalMs must be positive');
  }

  /** Register a tick listener; returns a function that removes it. */
  onTick(fn: TickListener): () => void {
    this.listeners.add(fn);
    return () => {
      if (!this.listeners.delete(fn)) return;
      if (this.stopWhenIdle && this.listeners.size === 0) this.stop();
    };
  }

  /** Start ticking: tick 0 is due one interval from now. Starting a running clock does nothing. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.origin = this.clock.now();
    this.next = 1;
    this.arm();
  }

  /** Stop ticking; safe to call twice and from inside a listener. */
  stop(): void {
    this.running = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  stats(): MediaClockStats {
    const s = this.st;
    return {
      running: this.running,
      intervalMs: this.interval,
      ticks: s.ticks,
      lastLateMs: s.lastLateMs,
      maxLateMs: s.maxLateMs,
      meanLateMs: s.ticks ? s.sumLateMs / s.ticks : 0,
      lateTicks: s.lateTicks,
      resyncs: s.resyncs,
      skippedTicks: s.skippedTicks,
      listenerErrors: s.listenerErrors,
    };
  }

  private due(slot: number): number {
    return this.origin + slot * this.interval;
  }

  private arm(): void {
    const delay = Math.max(0, this.due(this.next) - this.clock.now());
    this.timer = this.clock.setTimeout(() => this.fire(), delay);
  }

  private fire(): void {
    this.timer = undefined;
    if (!this.running) return;
    const now = this.clock.now();
    // the newest slot whose time has come (a timer may fire a hair early on some platforms)
    const newest = Math.max(this.next, Math.floor((now - this.origin) / this.interval + 1e-9));
    const overdue = newest - this.next + 1;
    if (overdue > this.maxBurst) {
      // stalled: drop the oldest slots, emit only the last maxBurst
      const skip = overdue - this.maxBurst;
      this.st.skippedTicks += skip;
      this.st.resyncs++;
      this.next += skip;
    }
    while (this.running && this.next <= newest) {
      const slot = this.next++;
      this.emit(slot - 1, Math.max(0, now - this.due(slot)));
    }
    if (this.running) this.arm();
  }

  private emit(tickIndex: number, lateMs: number): void {
    const s = this.st;
    s.ticks++;
    s.lastLateMs = lateMs;
    s.sumLateMs += lateMs;
    if (lateMs > s.maxLateMs) s.maxLateMs = lateMs;
    if (lateMs > this.lateThreshold) s.lateTicks++;
    for (const fn of this.listeners) {
      try {
        fn(tickIndex, lateMs);
      } catch (err) {
        s.listenerErrors++;
        if (!this.reported.has(fn)) {
          this.reported.add(fn);
          this.onListenerError?.(err);
        }
      }
    }
  }
}
