import { BlockList, isIP } from 'node:net';
import type { Clock } from '../util/clock.js';
import type { Endpoint } from './types.js';

/**
 * Who may talk to the door (safety, not an RFC): INVITEs only from the registrar's addresses
 * and an allow-list of hosts/CIDRs unless direct calls are enabled; and a per-source token bucket
 * so a flood from one address cannot starve the others. Pure: time comes from the Clock.
 */
export interface SourcePolicyOptions {
  clock: Clock;
  /** IP literals or CIDRs ("192.168.1.0/24", "fd00::/8"); host names must be resolved by the caller */
  allowedSources?: string[];
  /** accept INVITEs from any source (direct IP calls) */
  allowDirectCalls?: boolean;
  /** sustained requests per second per source address (default 50) */
  ratePerSecond?: number;
  /** bucket size (default 100) */
  burst?: number;
  /** trusted sources (registrar, allow-list) get this many times the rate and burst (default 20) */
  trustedFactor?: number;
  /** how many source buckets are kept (least recently seen are evicted; default 1024) */
  maxSources?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export interface SourcePolicyStats {
  rateLimited: number;
  rejected: number;
  trackedSources: number;
}

/** "::ffff:10.0.0.1" -> "10.0.0.1"; strips brackets and IPv6 zone ids. */
export function normalizeAddress(address: string): string {
  let a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const pct = a.indexOf('%');
  if (pct >= 0) a = a.slice(0, pct);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return mapped ? mapped[1] : a.toLowerCase();
}

/** Parses "10.0.0.0/8", "fd00::/8" or a bare address; undefined when it is neither. */
export function parseCidr(spec: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [addrPart, prefixPart] = spec.trim().split('/', 2);
  const address = normalizeAddress(addrPart);
  const v = isIP(address);
  if (v === 0) return undefined;
  const max = v === 4 ? 32 : 128;
  const prefix = prefixPart === undefined ? max : Number(prefixPart);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  return { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

export class SourcePolicy {
  private allow = new BlockList();
  private registrar = new Set<string>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly trustedFactor: number;
  private readonly maxSources: number;
  private counters = { rateLimited: 0, rejected: 0 };
  /** entries of allowedSources that are not addresses or CIDRs */
  readonly invalidEntries: string[] = [];

  constructor(private readonly opts: SourcePolicyOptions) {
    this.rate = opts.ratePerSecond ?? 50;
    this.burst = opts.burst ?? 100;
    this.trustedFactor = opts.trustedFactor ?? 20;
    this.maxSources = opts.maxSources ?? 1024;
    this.setAllowedSources(opts.allowedSources ?? []);
  }

  /** Replace the allow-list (IP literals / CIDRs). */
  setAllowedSources(list: string[]): void {
    this.allow = new BlockList();
    this.invalidEntries.length = 0;
    for (const spec of list) {
      const c = parseCidr(spec);
      if (!c) {
        this.invalidEntries.push(spec);
        continue;
      }
      this.allow.addSubnet(c.address, c.prefix, c.family);
    }
  }

  /** The addresses the registrar's host resolves to (any port is accepted from them). */
  setRegistrarAddresses(addresses: string[]): void {
    this.registrar = new Set(addresses.map(normalizeAddress));
  }

  /** A source is trusted when it is a registrar address or on the allow-list. */
  isTrusted(address: string): boolean {
    const a = normalizeAddress(address);
    if (this.registrar.has(a)) return true;
    const v = isIP(a);
    if (v === 0) return false;
    return this.allow.check(a, v === 4 ? 'ipv4' : 'ipv6');
  }

  /** May an INVITE (a call to the door) from this source ring? Counts a rejection when not. */
  allowsInvite(source: Endpoint): boolean {
    if (this.opts.allowDirectCalls || this.isTrusted(source.address)) return true;
    this.counters.rejected++;
    return false;
  }

  /** Token bucket per source address; false means drop silently (counted). */
  admit(source: Endpoint): boolean {
    const a = normalizeAddress(source.address);
    const now = this.opts.clock.now();
    const factor = this.isTrusted(a) ? this.trustedFactor : 1;
    const cap = this.burst * factor;
    let b = this.buckets.get(a);
    if (b) {
      this.buckets.delete(a); // re-insert: Map order is our LRU order
      b.tokens = Math.min(cap, b.tokens + ((now - b.at) / 1000) * this.rate * factor);
      b.at = now;
    } else {
      b = { tokens: cap, at: now };
      if (this.buckets.size >= this.maxSources) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    }
    this.buckets.set(a, b);
    if (b.tokens < 1) {
      this.counters.rateLimited++;
      return false;
    }
    b.tokens -= 1;
    return true;
  }

  stats(): SourcePolicyStats {
    return { ...this.counters, trackedSources: this.buckets.size };
  }
}
