import { describe, expect, it } from 'vitest';
import { MediaClock } from '../../../daemon/media/media-clock.js';
import { FakeClock } from '../../support/fake-clock.js';

describe('MediaClock listener errors', () => {
  it('a listener that throws every tick is reported once, counted every time, and the others still tick', () => {
    const clock = new FakeClock(0);
    const reported: unknown[] = [];
    const mc = new MediaClock({ clock, intervalMs: 20, onListenerError: (e) => reported.push(e) });
    let good = 0;
    mc.onTick(() => {
      throw new Error('bad listener');
    });
    mc.onTick(() => good++);
    mc.start();
    clock.advance(200);
    expect(good).toBe(10);
    expect(reported).toHaveLength(1);
    expect((reported[0] as Error).message).toBe('bad listener');
    expect(mc.stats().listenerErrors).toBe(10);
  });
});
