/**
 * Turns raw line levels into clean press/release/long-press events. An edge that comes sooner than
 * `debounceMs` after the last accepted edge is contact bounce and is ignored; a level held for
 * `longPressMs` raises one long press.
 */
import type { Clock, TimerHandle } from '../../daemon/util/clock.js';

export interface DebouncerOptions {
  clock: Clock;
  debounceMs: number;
  longPressMs: number;
  onPress(): void;
  onRelease(heldMs: number): void;
  onLongPress(heldMs: number): void;
}

export class Debouncer {
  private level = false;
  private lastEdgeAt = Number.NEGATIVE_INFINITY;
  private pressedAt = 0;
  private longTimer: TimerHandle | undefined;

  constructor(private readonly opts: DebouncerOptions) {}

  get active(): boolean {
    return this.level;
  }

  /** Feed a raw level (true = active/pressed). */
  edge(active: boolean): void {
    const now = this.opts.clock.now();
    if (active === this.level) return;
    if (now - this.lastEdgeAt < this.opts.debounceMs) return;
    this.lastEdgeAt = now;
    this.level = active;
    if (active) {
      this.pressedAt = now;
      this.opts.onPress();
      this.longTimer = this.opts.clock.setTimeout(() => {
        this.longTimer = undefined;
        this.opts.onLongPress(this.opts.clock.now() - this.pressedAt);
      }, this.opts.longPressMs);
    } else {
      this.opts.clock.clearTimeout(this.longTimer);
      this.longTimer = undefined;
      this.opts.onRelease(now - this.pressedAt);
    }
  }

  dispose(): void {
    this.opts.clock.clearTimeout(this.longTimer);
    this.longTimer = undefined;
  }
}
