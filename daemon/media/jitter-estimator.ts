/**
 * Delay-target estimator for the jitter buffer.
 *
 * Every received packet gives one "relative transit" sample r = arrivalMs - timestampMs: the sender's
 * clock offset is unknown but constant, so r differs from the true one-way delay by a constant and a
 * packet is on time iff the playout offset P = tickMs - timestampMs is >= its r.
 *
 * Idea from NetEq's DelayManager (relative arrival delay, a high quantile of its distribution with a
 * forgetting factor) and PJMEDIA's jbuf (track the level over a window, shrink slowly): here the
 * forgetting is a sliding window of the last `windowPackets` samples whose exact quantile is kept in a
 * sorted array (insert/remove by binary search; O(window) memory, bounded). A second, short window
 * lets the target fall quickly after the base delay drops (route change) instead of waiting for the
 * long window to forget: when the recent median falls clearly under the last 10 s's 25th
 * percentile, both windows restart from the newest third of the short window.
 */

export interface DelayEstimatorOptions {
  /** samples in the long window (stall/peak memory) */
  windowPackets: number;
  /** quantile of r the target covers, e.g. 0.99 */
  quantile: number;
  /** samples in the short window used to follow a base-delay drop */
  shortWindowPackets: number;
  /** samples in the window whose 25th percentile is the "base before" for the base-drop test */
  mediumWindowPackets: number;
  /** how far under the medium window's 25th percentile the recent median must fall to count as a base drop, ms */
  shortGuardMs: number;
}

export const defaultEstimatorOptions: DelayEstimatorOptions = {
  windowPackets: 3000,
  quantile: 0.99,
  shortWindowPackets: 150,
  mediumWindowPackets: 500,
  shortGuardMs: 10,
};

/** A sliding window of numbers with exact order statistics. */
export class SlidingQuantile {
  private readonly ring: number[] = [];
  private head = 0;
  private readonly sorted: number[] = [];

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.sorted.length;
  }

  add(v: number): void {
    if (!Number.isFinite(v)) return;
    if (this.ring.length < this.capacity) {
      this.ring.push(v);
    } else {
      const old = this.ring[this.head];
      this.ring[this.head] = v;
      this.head = (this.head + 1) % this.capacity;
      this.sorted.splice(lowerBound(this.sorted, old), 1);
    }
    this.sorted.splice(lowerBound(this.sorted, v), 0, v);
  }

  /**
   * The value exceeded by a fraction (1 - q) of the window: the largest after leaving out the
   * round((1 - q) * n) largest (so one outlier among >= 50 samples does not set a 99 % target).
   */
  quantile(q: number): number {
    const n = this.sorted.length;
    if (n === 0) return NaN;
    const idx = Math.min(n - 1, Math.max(0, n - 1 - Math.round((1 - q) * n)));
    return this.sorted[idx];
  }

  /** the samples, oldest first */
  values(): number[] {
    return [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
  }

  min(): number {
    return this.sorted.length ? this.sorted[0] : NaN;
  }

  max(): number {
    return this.sorted.length ? this.sorted[this.sorted.length - 1] : NaN;
  }

  clear(): void {
    this.ring.length = 0;
    this.sorted.length = 0;
    this.head = 0;
  }
}

const LOW_Q = 0.25;

function lowerBound(a: number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class DelayEstimator {
  private readonly long: SlidingQuantile;
  private readonly short: SlidingQuantile;
  private readonly medium: SlidingQuantile;

  constructor(private readonly opts: DelayEstimatorOptions = defaultEstimatorOptions) {
    this.long = new SlidingQuantile(opts.windowPackets);
    this.short = new SlidingQuantile(opts.shortWindowPackets);
    this.medium = new SlidingQuantile(opts.mediumWindowPackets);
  }

  /** downward base-delay shifts detected so far */
  shifts = 0;

  get samples(): number {
    return this.long.size;
  }

  add(relativeTransitMs: number): void {
    if (!Number.isFinite(relativeTransitMs)) return;
    this.long.add(relativeTransitMs);
    this.short.add(relativeTransitMs);
    this.medium.add(relativeTransitMs);
    if (this.short.size < this.opts.shortWindowPackets) return;
    // The base delay went down (route change): most recent packets are faster than all but the
    // fastest quarter of the last 10 s. Forget the history before the change instead of holding
    // its delay for a whole long window; a rise needs no such step (its samples raise the quantile).
    if (this.short.quantile(0.5) < this.medium.quantile(LOW_Q) - this.opts.shortGuardMs) {
      // the crossing happens when about half the short window is new: keep its newest third
      const recent = this.short.values().slice(-Math.ceil(this.opts.shortWindowPackets / 3));
      this.long.clear();
      this.short.clear();
      this.medium.clear();
      for (const v of recent) this.add(v);
      this.shifts++;
    }
  }

  /** smallest recent relative transit (the "base" the added delay is measured from) */
  base(): number {
    return this.short.size ? this.short.min() : NaN;
  }

  /**
   * The playout offset (in relative-transit units) that would have been late for at most
   * (1 - quantile) of the remembered packets.
   */
  need(): number {
    return this.long.size ? this.long.quantile(this.opts.quantile) : NaN;
  }

  clear(): void {
    this.long.clear();
    this.short.clear();
    this.medium.clear();
  }
}
