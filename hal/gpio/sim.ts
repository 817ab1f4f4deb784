/**
 * Simulated GPIO: buttons pressed through the API (or a test's `setLevel`), relays and LEDs whose
 * state is observable, inputs a test can set. No I/O.
 */
import type { Clock } from '../../daemon/util/clock.js';
import { TypedEmitter } from '../../daemon/util/events.js';
import type { Button, ButtonEvents, Input, InputEvents, Led } from '../types.js';
import { Debouncer } from './debounce.js';
import { PulseRelay } from './relay-base.js';

export interface SimButtonOptions {
  id: string;
  clock: Clock;
  debounce_ms: number;
  long_press_ms: number;
}

export class SimButton implements Button {
  readonly driver = 'sim';
  readonly events = new TypedEmitter<ButtonEvents>();
  private readonly debouncer: Debouncer;

  constructor(private readonly opts: SimButtonOptions) {
    this.debouncer = new Debouncer({
      clock: opts.clock,
      debounceMs: opts.debounce_ms,
      longPressMs: opts.long_press_ms,
      onPress: () => this.events.emit('press', { id: this.id, source: 'hardware' }),
      onRelease: (heldMs) => this.events.emit('release', { id: this.id, heldMs }),
      onLongPress: (heldMs) => this.events.emit('longPress', { id: this.id, heldMs }),
    });
  }

  get id(): string {
    return this.opts.id;
  }

  get pressed(): boolean {
    return this.debouncer.active;
  }

  /** Raw line level as the hardware would see it (bounces included). */
  setLevel(active: boolean): void {
    this.debouncer.edge(active);
  }

  /** An API press: one clean press and release (debouncing is for contact bounce, not for the API). */
  press(): void {
    this.events.emit('press', { id: this.id, source: 'api' });
    this.events.emit('release', { id: this.id, heldMs: 0 });
  }

  async open(): Promise<void> {}

  async close(): Promise<void> {
    this.debouncer.dispose();
  }
}

export class SimRelay extends PulseRelay {
  readonly driver = 'sim';

  protected apply(): void {
    /* the state is all there is */
  }

  async open(): Promise<void> {}

  async close(): Promise<void> {
    this.off();
  }
}

export class SimInput implements Input {
  readonly driver = 'sim';
  readonly events = new TypedEmitter<InputEvents>();
  private level = false;

  constructor(readonly id: string) {}

  get active(): boolean {
    return this.level;
  }

  set(active: boolean): void {
    if (active === this.level) return;
    this.level = active;
    this.events.emit('change', { id: this.id, active });
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}
}

export class SimLed implements Led {
  readonly driver = 'sim';
  private state = false;
  constructor(readonly id: string) {}
  get lit(): boolean {
    return this.state;
  }
  set(lit: boolean): void {
    this.state = lit;
  }
  async open(): Promise<void> {}
  async close(): Promise<void> {
    this.state = false;
  }
}
