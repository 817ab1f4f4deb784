/**
 * Door contacts: an input per door that is active while the door stands open. Held open longer
 * than held_open_s raises one `door_held_open` event; closing after that logs `door_closed`.
 */
import type { Input } from '../../hal/types.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { EventLog } from './event-log.js';

export function watchDoorContacts(
  doors: { relay: string; contact?: string; held_open_s: number }[],
  inputs: Map<string, Input>,
  clock: Clock,
  events: EventLog,
): () => void {
  const stops: (() => void)[] = [];
  for (const door of doors) {
    const input = door.contact ? inputs.get(door.contact) : undefined;
    if (!input) continue;
    let timer: TimerHandle | undefined;
    let reported = false;
    stops.push(
      input.events.on('change', ({ active }) => {
        clock.clearTimeout(timer);
        timer = undefined;
        if (active) {
          timer = clock.setTimeout(() => {
            reported = true;
            events.append('door_held_open', { door: door.relay, input: input.id, seconds: door.held_open_s });
          }, door.held_open_s * 1000);
        } else if (reported) {
          reported = false;
          events.append('door_closed', { door: door.relay, input: input.id });
        }
      }),
    );
    stops.push(() => clock.clearTimeout(timer));
  }
  return () => stops.forEach((s) => s());
}
