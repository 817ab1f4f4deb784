/**
 * What every relay driver shares: the on/off state, change events, and pulses (on now, off after
 * N ms; a new pulse extends the running one). A driver only says how a state reaches the hardware.
 */
import type { Clock, TimerHandle } from '../../daemon/util/clock.js';
import { TypedEmitter } from '../../daemon/util/events.js';
import type { Relay, RelayEvents, RelayState } from '../types.js';

export abstract class PulseRelay implements Relay {
  abstract readonly driver: string;
  readonly events = new TypedEmitter<RelayEvents>();
  private current: RelayState = 'off';
  private pulseTimer: TimerHandle | undefined;

  constructor(
    readonly id: string,
    protected readonly clock: Clock,
  ) {}

  /** Drive the hardware to `state` (called once per change). */
  protected abstract apply(state: RelayState): void;

  get state(): RelayState {
    return this.current;
  }

  private setState(state: RelayState): void {
    if (state === this.current) return;
    this.current = state;
    this.apply(state);
    this.events.emit('change', { id: this.id, state });
  }

  private stopPulse(): void {
    this.clock.clearTimeout(this.pulseTimer);
    this.pulseTimer = undefined;
  }

  on(): void {
    this.stopPulse();
    this.setState('on');
  }

  off(): void {
    this.stopPulse();
    this.setState('off');
  }

  pulse(ms: number): void {
    this.stopPulse();
    this.setState('on');
    this.pulseTimer = this.clock.setTimeout(() => {
      this.pulseTimer = undefined;
      this.setState('off');
    }, ms);
  }

  abstract open(): Promise<void>;
  abstract close(): Promise<void>;
}
