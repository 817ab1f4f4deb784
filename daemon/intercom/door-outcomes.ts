/**
 * What a keyed code leads to (DoorCodes decides; this acts): the relay pulse and the event log
 * entries for an open door, a wrong code, a lockout and a refusal during one.
 */
import type { Relay } from '../../hal/types.js';
import { PortierError } from '../util/errors.js';
import type { CodeOutcome } from './door-codes.js';
import type { EventLog } from './event-log.js';

export interface DoorOutcomeDeps {
  relays: Map<string, Relay>;
  pulseMs: Map<string, number>;
  events: Pick<EventLog, 'append'>;
  /** the call the code was keyed in, for the log */
  currentCall(): string | undefined;
  /** a door opened by a code during a call */
  onOpenedByCode(): void;
}

export class DoorOutcomes {
  constructor(private readonly d: DoorOutcomeDeps) {}

  onCode(o: CodeOutcome): void {
    const call = this.d.currentCall();
    switch (o.kind) {
      case 'open':
        this.openDoor(o.relay, 'code');
        this.d.onOpenedByCode();
        break;
      case 'failed':
        this.d.events.append('code_failed', { call, failures: o.failures, digits: o.entered });
        break;
      case 'lockout':
        this.d.events.append('lockout', { call, seconds: o.seconds, failures: o.failures });
        break;
      case 'refused':
        this.d.events.append('code_failed', { call, locked: true, locked_for_s: Math.ceil(o.lockedForMs / 1000) });
        break;
    }
  }

  /** `who`: details of the opener for the log (the panel's session) */
  openDoor(relayId: string, by: 'code' | 'api' | 'button' | 'panel', who: Record<string, unknown> = {}): { ms: number } {
    const relay = this.d.relays.get(relayId);
    if (!relay) throw new PortierError('NOT_FOUND', `no relay "${relayId}" (relays: ${[...this.d.relays.keys()].join(', ') || 'none'})`);
    const ms = this.d.pulseMs.get(relayId) ?? 3000;
    relay.pulse(ms);
    this.d.events.append('door_open', { relay: relayId, by, ms, call: this.d.currentCall(), ...who });
    return { ms };
  }
}
