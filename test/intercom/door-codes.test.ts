import { describe, expect, it } from 'vitest';
import { DoorCodes, type CodeOutcome } from '../../daemon/intercom/door-codes.js';
import { FakeClock } from '../support/fake-clock.js';

function setup(over: Partial<{ maxFailures: number; lockoutMs: number }> = {}) {
  const clock = new FakeClock();
  const out: CodeOutcome[] = [];
  const codes = new DoorCodes({
    doors: [
      { relay: 'front', codes: ['1234', '987654'], terminator: '#', digit_timeout_ms: 3000 },
      { relay: 'garage', codes: ['5555'], terminator: '#', digit_timeout_ms: 3000 },
    ],
    maxFailures: over.maxFailures ?? 5,
    lockoutMs: over.lockoutMs ?? 60000,
    clock,
    onOutcome: (o) => out.push(o),
  });
  const key = (s: string) => [...s].forEach((d) => codes.digit(d));
  return { clock, out, codes, key };
}

describe('door codes', () => {
  it('opens the door whose code was keyed, ended by #', () => {
    const { out, key } = setup();
    key('5555#');
    expect(out).toEqual([{ kind: 'open', relay: 'garage' }]);
  });

  it('ends a code after the inter-digit timeout without a terminator', () => {
    const { out, key, clock } = setup();
    key('1234');
    clock.advance(2999);
    expect(out).toEqual([]);
    clock.advance(1);
    expect(out).toEqual([{ kind: 'open', relay: 'front' }]);
  });

  it('counts wrong codes and locks out after five, refusing even the right code', () => {
    const { out, key, clock, codes } = setup();
    for (let i = 0; i < 5; i++) key('0000#');
    expect(out.filter((o) => o.kind === 'failed')).toHaveLength(5);
    expect(out.at(-1)).toEqual({ kind: 'lockout', seconds: 60, failures: 5 });
    out.length = 0;
    key('1234#');
    expect(out.every((o) => o.kind === 'refused')).toBe(true);
    expect(codes.locked).toBe(true);
    clock.advance(60000);
    out.length = 0;
    key('1234#');
    expect(out).toEqual([{ kind: 'open', relay: 'front' }]);
  });

  it('doubles the lockout on a repeat, and a right code resets the doubling', () => {
    const { out, key, clock } = setup({ maxFailures: 2, lockoutMs: 1000 });
    key('1#1#');
    clock.advance(1000);
    key('1#1#');
    expect(out.filter((o) => o.kind === 'lockout').map((o) => (o as { seconds: number }).seconds)).toEqual([1, 2]);
    clock.advance(2000);
    key('1234#');
    key('1#1#');
    expect(out.filter((o) => o.kind === 'lockout').at(-1)).toMatchObject({ seconds: 1 });
  });

  it('drops a half-typed code when the call ends', () => {
    const { out, key, codes, clock } = setup();
    key('12');
    codes.reset();
    clock.advance(5000);
    key('34#');
    expect(out).toEqual([{ kind: 'failed', failures: 1, entered: 2 }]);
  });
});
