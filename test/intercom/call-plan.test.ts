import { describe, expect, it } from 'vitest';
import { CallPlan, type Leg, type LegEvents } from '../../daemon/intercom/call-plan.js';
import { TypedEmitter } from '../../daemon/util/events.js';
import { FakeClock } from '../support/fake-clock.js';

class FakeLeg implements Leg {
  readonly events = new TypedEmitter<LegEvents>();
  cancelled = false;
  constructor(readonly target: string) {}
  cancel() {
    this.cancelled = true;
  }
}

function setup(mode: 'parallel' | 'sequential', targets = ['100', '200', '300']) {
  const clock = new FakeClock();
  const legs = new Map<string, FakeLeg>();
  const log: string[] = [];
  const plan = new CallPlan({
    targets,
    mode,
    ringTimeoutMs: 45000,
    perTargetMs: 15000,
    clock,
    dial: (t) => {
      const leg = new FakeLeg(t);
      legs.set(t, leg);
      log.push(`dial ${t}`);
      return leg;
    },
  });
  plan.on('answered', ({ leg }) => log.push(`answered ${leg.target}`));
  plan.on('failed', ({ reason }) => log.push(`failed: ${reason}`));
  return { clock, legs, log, plan };
}

describe('call plan', () => {
  it('parallel: rings all, the first answer wins and the others are cancelled', () => {
    const { legs, log, plan } = setup('parallel');
    plan.start();
    expect(log).toEqual(['dial 100', 'dial 200', 'dial 300']);
    legs.get('200')!.events.emit('answered', undefined);
    legs.get('100')!.events.emit('answered', undefined); // too late
    expect(log.slice(3)).toEqual(['answered 200']);
    expect(legs.get('100')!.cancelled && legs.get('300')!.cancelled).toBe(true);
    expect(legs.get('200')!.cancelled).toBe(false);
  });

  it('parallel: fails when every target refuses', () => {
    const { legs, log, plan } = setup('parallel', ['100', '200']);
    plan.start();
    legs.get('100')!.events.emit('failed', { status: 486, reason: 'Busy Here' });
    expect(plan.state).toBe('ringing');
    legs.get('200')!.events.emit('failed', { status: 603, reason: 'Decline' });
    expect(log.at(-1)).toBe('failed: every target refused or could not be reached');
  });

  it('sequential: a rejecting target moves on at once, an unanswered one after its slot', () => {
    const { legs, log, plan, clock } = setup('sequential');
    plan.start();
    expect(log).toEqual(['dial 100']);
    legs.get('100')!.events.emit('failed', { status: 486, reason: 'Busy Here' });
    expect(log).toEqual(['dial 100', 'dial 200']);
    clock.advance(14999);
    expect(log).toHaveLength(2);
    clock.advance(1);
    expect(legs.get('200')!.cancelled).toBe(true);
    expect(log).toEqual(['dial 100', 'dial 200', 'dial 300']);
    legs.get('300')!.events.emit('answered', undefined);
    expect(log.at(-1)).toBe('answered 300');
  });

  it('gives up at the ring timeout and cancels what still rings', () => {
    const { legs, log, plan, clock } = setup('parallel');
    plan.start();
    clock.advance(45000);
    expect(log.at(-1)).toBe('failed: nobody answered before the ring timeout');
    expect([...legs.values()].every((l) => l.cancelled)).toBe(true);
  });

  it('cancel() stops a ringing plan; answering afterwards changes nothing', () => {
    const { legs, log, plan } = setup('parallel', ['100']);
    plan.start();
    plan.cancel('button pressed again');
    legs.get('100')!.events.emit('answered', undefined);
    expect(log).toEqual(['dial 100', 'failed: button pressed again']);
  });

  it('fails at once with no targets', () => {
    const { log, plan } = setup('parallel', []);
    plan.start();
    expect(log).toEqual(['failed: no call targets are configured for this button']);
  });
});
