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
 * long window to forget: when the short window's low quantile sits clearly under the long window's,
 * the long-window target is moved down by the difference.
 */

export interface DelayEstimatorOptions {
  /** samples in the long window (stall/peak memory) */
  windowPackets: number;
  /** quantile of r the target covers, e.g. 0.99 */
  quantile: number;
  /** samples in the short window used to follow a base-delay drop */
  shortWindowPackets: number;
  /** guard added to the short-window quantile when it is used, ms */
  shortGuardMs: number;
}

export const defaultEstimatorOptions: DelayEstimatorOptions = {
  windowPackets: 3000,
  quantile: 0.99,
  shortWindowPackets: 150,
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

  /** the value below which a fraction q of the window lies (nearest rank, upper) */
  quantile(q: number): number {
    const n = this.sorted.length;
    if (n === 0) return NaN;
    const idx = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
    return this.sorted[idx];
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

const LOW_Q = 0.1;

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

  constructor(private readonly opts: DelayEstimatorOptions = defaultEstimatorOptions) {
    this.long = new SlidingQuantile(opts.windowPackets);
    this.short = new SlidingQuantile(opts.shortWindowPackets);
  }

  get samples(): number {
    return this.long.size;
  }

  add(relativeTransitMs: number): void {
    this.long.add(relativeTransitMs);
    this.short.add(relativeTransitMs);
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
    if (this.long.size === 0) return NaN;
    const longQ = this.long.quantile(this.opts.quantile);
    if (this.short.size < this.opts.shortWindowPackets) return longQ;
    // The base delay went down (route change): the short window's low quantile sits clearly under
    // the long window's. Move the long-window target down by that shift instead of waiting for the
    // long window to forget; the spread it remembers (stalls, spikes) is kept.
    const shift = this.long.quantile(LOW_Q) - this.short.quantile(LOW_Q);
    if (shift > this.opts.shortGuardMs) return Math.max(longQ - shift, this.short.max());
    return longQ;
  }

  clear(): void {
    this.long.clear();
    this.short.clear();
  }
}
