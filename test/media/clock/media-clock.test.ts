import { describe, expect, it } from 'vitest';
import { MediaClock } from '../../../daemon/media/media-clock.js';
import { FakeClock } from '../../support/fake-clock.js';

function record(mc: MediaClock): Array<[number, number]> {
  const seen: Array<[number, number]> = [];
  mc.onTick((i, late) => seen.push([i, late]));
  return seen;
}

describe('MediaClock', () => {
  it('ticks every 20 ms on time, numbering ticks from 0', () => {
    const clock = new FakeClock(1000);
    const mc = new MediaClock({ clock, intervalMs: 20 });
    const seen = record(mc);
    mc.start();
    clock.advance(19);
    expect(seen).toEqual([]);
    clock.advance(1);
    clock.advance(40);
    expect(seen).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
    expect(mc.stats()).toMatchObject({ ticks: 3, maxLateMs: 0, lateTicks: 0, running: true });
  });

  it('does not drift when every timer fires 3 ms late: 1000 ticks in 20 s, lateness stays 3 ms', () => {
    const clock = new FakeClock(0, () => 3);
    const mc = new MediaClock({ clock, intervalMs: 20 });
    const seen = record(mc);
    mc.start();
    clock.advance(20_000 + 3);
    // a timer re-armed relative to the last tick would have managed only 20000 / 23 = 869 ticks
    expect(seen.length).toBe(1000);
    expect(seen.at(-1)).toEqual([999, 3]);
    const s = mc.stats();
    expect(s.maxLateMs).toBe(3);
    expect(s.meanLateMs).toBeCloseTo(3, 6);
    expect(s.lateTicks).toBe(0);
  });

  it('measures lateness per tick: last, max, mean and the count above 5 ms', () => {
    const delays = [0, 2, 8, 0, 12, 1];
    const clock = new FakeClock(0, (n) => delays[n - 1] ?? 0);
    const mc = new MediaClock({ clock, intervalMs: 20 });
    mc.start();
    clock.advance(20 * 6 + 1);
    const s = mc.stats();
    expect(s.ticks).toBe(6);
    expect(s.maxLateMs).toBe(12);
    expect(s.lastLateMs).toBe(1);
    expect(s.meanLateMs).toBeCloseTo((0 + 2 + 8 + 0 + 12 + 1) / 6, 6);
    expect(s.lateTicks).toBe(2);
  });

  it('catches up a short stall of 2 ticks by emitting the overdue ticks at once', () => {
    const clock = new FakeClock();
    const mc = new MediaClock({ clock, intervalMs: 20, maxBurst: 3 });
    const seen = record(mc);
    mc.start();
    clock.advance(20); // tick 0
    clock.stall(45); // blocked until t = 65: ticks 1 (40) and 2 (60) are overdue
    clock.advance(0);
    expect(seen.map(([i]) => i)).toEqual([0, 1, 2]);
    expect(seen[1][1]).toBe(25);
    expect(seen[2][1]).toBe(5);
    expect(mc.stats().resyncs).toBe(0);
  });

  it('after a 5 s stall emits only 3 ticks, skips the rest and says so in stats', () => {
    const clock = new FakeClock();
    const mc = new MediaClock({ clock, intervalMs: 20, maxBurst: 3 });
    const seen = record(mc);
    mc.start();
    clock.advance(100); // ticks 0..4
    clock.stall(5000); // t = 5100: slots up to index 254 are due
    clock.advance(0);
    const burst = seen.slice(5);
    expect(burst.map(([i]) => i)).toEqual([252, 253, 254]);
    const s = mc.stats();
    expect(s.resyncs).toBe(1);
    expect(s.skippedTicks).toBe(247);
    // back on the timeline: the next tick is due at 5120 and on time
    clock.advance(20);
    expect(seen.at(-1)).toEqual([255, 0]);
  });

  it('stops cleanly (twice, and from inside a listener) and leaves no timer behind', () => {
    const clock = new FakeClock();
    const mc = new MediaClock({ clock });
    let n = 0;
    mc.onTick(() => {
      if (++n === 3) mc.stop();
    });
    mc.start();
    clock.advance(200);
    expect(n).toBe(3);
    expect(clock.pending).toBe(0);
    mc.stop();
    expect(mc.stats().running).toBe(false);
  });

  it('keeps ticking when a listener throws, and counts the error', () => {
    const clock = new FakeClock();
    const mc = new MediaClock({ clock });
    const seen = record(mc);
    mc.onTick(() => {
      throw new Error('boom');
    });
    mc.start();
    clock.advance(60);
    expect(seen.length).toBe(3);
    expect(mc.stats().listenerErrors).toBe(3);
  });

  it('removes a listener through the function onTick returns', () => {
    const clock = new FakeClock();
    const mc = new MediaClock({ clock });
    let n = 0;
    const off = mc.onTick(() => n++);
    mc.start();
    clock.advance(40);
    off();
    clock.advance(40);
    expect(n).toBe(2);
  });

  it('a shared clock (stopWhenIdle) stops when its last listener leaves and runs again on start()', () => {
    const clock = new FakeClock();
    const mc = new MediaClock({ clock, stopWhenIdle: true });
    let a = 0;
    let b = 0;
    const offA = mc.onTick(() => a++);
    const offB = mc.onTick(() => b++);
    mc.start();
    clock.advance(40);
    offA();
    expect(mc.stats().running).toBe(true); // b still listens
    clock.advance(20);
    offB();
    offB(); // a second call removes nothing more
    expect(mc.stats().running).toBe(false);
    expect(clock.pending).toBe(0); // no wakeups while idle
    clock.advance(100);
    expect([a, b]).toEqual([2, 3]);
    mc.onTick(() => a++);
    mc.start();
    clock.advance(20);
    expect(a).toBe(3);
  });
});
