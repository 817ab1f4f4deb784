/**
 * Failed-login limiter, per source address. `freeFailures` wrong passwords are allowed; each one after
 * that blocks the address for a delay that doubles (base, 2*base, ... up to maxDelay). While blocked,
 * attempts are answered 429 with Retry-After and the password is not even checked. A success clears
 * the address; failures are forgotten after `forgetMs` without one. Memory is bounded.
 */
export interface LoginLimiterOptions {
  /** monotonic milliseconds */
  now: () => number;
  freeFailures?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  forgetMs?: number;
  maxAddresses?: number;
}

interface Record_ {
  failures: number;
  last: number;
  blockedUntil: number;
}

export type LimitCheck = { allowed: true } | { allowed: false; retryAfterS: number };

export class LoginLimiter {
  private readonly byAddress = new Map<string, Record_>();
  private readonly free: number;
  private readonly base: number;
  private readonly max: number;
  private readonly forget: number;
  private readonly maxAddresses: number;

  constructor(private readonly opts: LoginLimiterOptions) {
    this.free = opts.freeFailures ?? 5;
    this.base = opts.baseDelayMs ?? 30_000;
    this.max = opts.maxDelayMs ?? 15 * 60_000;
    this.forget = opts.forgetMs ?? 30 * 60_000;
    this.maxAddresses = opts.maxAddresses ?? 4096;
  }

  private current(address: string): Record_ | undefined {
    const r = this.byAddress.get(address);
    if (r && this.opts.now() - r.last > this.forget && this.opts.now() >= r.blockedUntil) {
      this.byAddress.delete(address);
      return undefined;
    }
    return r;
  }

  /** May this address try a password now? */
  check(address: string): LimitCheck {
    const r = this.current(address);
    const now = this.opts.now();
    if (!r || r.blockedUntil <= now) return { allowed: true };
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil((r.blockedUntil - now) / 1000)) };
  }

  /** Records a wrong password; returns the block that follows (if any). */
  fail(address: string): LimitCheck {
    const now = this.opts.now();
    let r = this.current(address);
    if (!r) {
      if (this.byAddress.size >= this.maxAddresses) this.evict();
      r = { failures: 0, last: now, blockedUntil: 0 };
      this.byAddress.set(address, r);
    }
    r.failures++;
    r.last = now;
    const over = r.failures - this.free;
    if (over > 0) r.blockedUntil = now + Math.min(this.max, this.base * 2 ** Math.min(over - 1, 30));
    return this.check(address);
  }

  /** A correct password clears the address. */
  succeed(address: string): void {
    this.byAddress.delete(address);
  }

  get tracked(): number {
    return this.byAddress.size;
  }

  private evict(): void {
    const now = this.opts.now();
    for (const [a, r] of this.byAddress) if (r.blockedUntil <= now && now - r.last > this.forget) this.byAddress.delete(a);
    // still full: drop the entry seen longest ago (Map keeps insertion order; refresh on fail keeps it rough)
    while (this.byAddress.size >= this.maxAddresses) {
      let oldestKey: string | undefined;
      let oldest = Infinity;
      for (const [a, r] of this.byAddress) if (r.last < oldest) [oldest, oldestKey] = [r.last, a];
      this.byAddress.delete(oldestKey!);
    }
  }
}
