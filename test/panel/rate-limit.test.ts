import { describe, expect, it } from 'vitest';
import { LoginLimiter } from '../../daemon/panel/rate-limit.js';

function limiter(opts: Partial<ConstructorParameters<typeof LoginLimiter>[0]> = {}) {
  const clock = { t: 0 };
  return { l: new LoginLimiter({ now: () => clock.t, freeFailures: 5, baseDelayMs: 30_000, maxDelayMs: 240_000, forgetMs: 600_000, ...opts }), clock };
}

describe('failed-login limiter', () => {
  it('allows five wrong passwords, then blocks for 30 s with a Retry-After', () => {
    const { l } = limiter();
    for (let i = 0; i < 4; i++) expect(l.fail('10.0.0.1')).toEqual({ allowed: true });
    expect(l.fail('10.0.0.1')).toEqual({ allowed: true });
    expect(l.fail('10.0.0.1')).toEqual({ allowed: false, retryAfterS: 30 });
    expect(l.check('10.0.0.1')).toEqual({ allowed: false, retryAfterS: 30 });
  });

  it('counts Retry-After down and lets the address try again when it runs out', () => {
    const { l, clock } = limiter();
    for (let i = 0; i < 6; i++) l.fail('a');
    clock.t += 12_500;
    expect(l.check('a')).toEqual({ allowed: false, retryAfterS: 18 });
    clock.t += 17_500;
    expect(l.check('a')).toEqual({ allowed: true });
  });

  it('doubles the block with each further failure up to the maximum', () => {
    const { l, clock } = limiter();
    for (let i = 0; i < 5; i++) l.fail('a');
    const blocks: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = l.fail('a');
      blocks.push(r.allowed ? 0 : r.retryAfterS);
      clock.t += blocks[i] * 1000;
    }
    expect(blocks).toEqual([30, 60, 120, 240, 240, 240]);
  });

  it('keeps addresses apart: one attacker does not lock out the resident', () => {
    const { l } = limiter();
    for (let i = 0; i < 8; i++) l.fail('attacker');
    expect(l.check('attacker').allowed).toBe(false);
    expect(l.check('resident')).toEqual({ allowed: true });
  });

  it('clears an address on a correct password', () => {
    const { l, clock } = limiter();
    for (let i = 0; i < 6; i++) l.fail('a');
    clock.t += 30_000;
    l.succeed('a');
    for (let i = 0; i < 5; i++) expect(l.fail('a').allowed).toBe(true);
  });

  it('forgets old failures after the forget window', () => {
    const { l, clock } = limiter();
    for (let i = 0; i < 5; i++) l.fail('a');
    clock.t += 600_001;
    expect(l.fail('a').allowed).toBe(true);
  });

  it('bounds memory: never tracks more than maxAddresses', () => {
    const { l, clock } = limiter({ maxAddresses: 100 });
    for (let i = 0; i < 1000; i++) {
      clock.t += 1;
      l.fail(`198.51.100.${i}`);
    }
    expect(l.tracked).toBeLessThanOrEqual(100);
  });
});
