/**
 * The `gpiod` GPIO driver: Linux GPIO character devices through the libgpiod tools (field guide
 * audio-gpio-systemd (b)). Buttons and inputs are watched by a supervised `gpiomon` child whose
 * edges go through the Debouncer; relays and LEDs are driven by a `gpioset` child that keeps
 * running while the value must hold (a line's value is undefined once its holder exits), and is
 * replaced by a new one with the new value on every change. Dead children are restarted with
 * backoff; a missing or busy chip/line fails open() with a message that names it.
 */
import type { Clock } from '../../daemon/util/clock.js';
import { systemClock } from '../../daemon/util/clock.js';
import { TypedEmitter } from '../../daemon/util/events.js';
import type { Button, ButtonEvents, Input, InputEvents, Led, RelayState } from '../types.js';
import { Debouncer } from './debounce.js';
import { PulseRelay } from './relay-base.js';
import { LineDriver, LineWatcher, type GpiodDriverOptions, type GpiodLineConfig, type GpiodStats, type GpiodWatchConfig } from './gpiod-lines.js';
import { gpiodToolsFor } from './gpiod-tools.js';

export type { GpiodDriverOptions, GpiodLineConfig, GpiodStats, GpiodWatchConfig } from './gpiod-lines.js';

const NEVER = 2 ** 31 - 1;


export interface GpiodButtonConfig extends GpiodWatchConfig {
  long_press_ms: number;
}

export class GpiodButton implements Button {
  readonly driver = 'gpiod';
  readonly events = new TypedEmitter<ButtonEvents>();
  private readonly debouncer: Debouncer;
  private readonly watcher: LineWatcher;

  constructor(
    private readonly cfg: GpiodButtonConfig,
    clock: Clock = systemClock,
    opts: GpiodDriverOptions = {},
  ) {
    this.debouncer = new Debouncer({
      clock,
      debounceMs: cfg.debounce_ms,
      longPressMs: cfg.long_press_ms,
      onPress: () => this.events.emit('press', { id: this.id, source: 'hardware' }),
      onRelease: (heldMs) => this.events.emit('release', { id: this.id, heldMs }),
      onLongPress: (heldMs) => this.events.emit('longPress', { id: this.id, heldMs }),
    });
    this.watcher = new LineWatcher(
      cfg,
      gpiodToolsFor(opts),
      clock,
      opts,
      (active) => this.debouncer.edge(active),
      // after a gpiomon restart: a release missed meanwhile is applied; a missed press is not (no phantom call)
      (active) => {
        if (!active && this.debouncer.active) this.debouncer.edge(false);
      },
    );
  }

  get id(): string {
    return this.cfg.id;
  }

  get pressed(): boolean {
    return this.debouncer.active;
  }

  press(): void {
    this.events.emit('press', { id: this.id, source: 'api' });
    this.events.emit('release', { id: this.id, heldMs: 0 });
  }

  async open(): Promise<void> {
    // a button already held at start is not a press: only edges after open count
    await this.watcher.open();
  }

  async close(): Promise<void> {
    this.debouncer.dispose();
    await this.watcher.close();
  }

  stats(): GpiodStats {
    return this.watcher.stats(this.id);
  }
}

export class GpiodInput implements Input {
  readonly driver = 'gpiod';
  readonly events = new TypedEmitter<InputEvents>();
  private readonly debouncer: Debouncer;
  private readonly watcher: LineWatcher;
  private quiet = false;

  constructor(
    private readonly cfg: GpiodWatchConfig,
    clock: Clock = systemClock,
    opts: GpiodDriverOptions = {},
  ) {
    const emit = (active: boolean) => {
      if (!this.quiet) this.events.emit('change', { id: this.id, active });
    };
    this.debouncer = new Debouncer({
      clock,
      debounceMs: cfg.debounce_ms,
      longPressMs: NEVER,
      onPress: () => emit(true),
      onRelease: () => emit(false),
      onLongPress: () => {},
    });
    this.watcher = new LineWatcher(
      cfg,
      gpiodToolsFor(opts),
      clock,
      opts,
      (active) => this.debouncer.edge(active),
      (active) => this.debouncer.edge(active),
    );
  }

  get id(): string {
    return this.cfg.id;
  }

  get active(): boolean {
    return this.debouncer.active;
  }

  /** Reads the current level first (no change event for it), then follows edges. */
  async open(): Promise<void> {
    await this.watcher.open((initial) => {
      if (initial && !this.debouncer.active) {
        this.quiet = true;
        this.debouncer.edge(true);
        this.quiet = false;
      }
    });
  }

  async close(): Promise<void> {
    this.debouncer.dispose();
    await this.watcher.close();
  }

  stats(): GpiodStats {
    return this.watcher.stats(this.id);
  }
}

export class GpiodRelay extends PulseRelay {
  readonly driver = 'gpiod';
  private readonly out: LineDriver;

  constructor(cfg: GpiodLineConfig, clock: Clock = systemClock, opts: GpiodDriverOptions = {}) {
    super(cfg.id, clock);
    this.out = new LineDriver(cfg, gpiodToolsFor(opts), clock, opts);
  }

  protected apply(state: RelayState): void {
    void this.out.set(state === 'on');
  }

  /** Resolves when the hardware has caught up with the last change. */
  settled(): Promise<void> {
    return this.out.settled();
  }

  async open(): Promise<void> {
    await this.out.open();
  }

  async close(): Promise<void> {
    this.off();
    await this.out.close();
  }

  stats(): GpiodStats {
    return this.out.stats(this.id);
  }
}

export class GpiodLed implements Led {
  readonly driver = 'gpiod';
  private readonly out: LineDriver;
  private state = false;

  constructor(
    private readonly cfg: GpiodLineConfig,
    clock: Clock = systemClock,
    opts: GpiodDriverOptions = {},
  ) {
    this.out = new LineDriver(cfg, gpiodToolsFor(opts), clock, opts);
  }

  get id(): string {
    return this.cfg.id;
  }

  get lit(): boolean {
    return this.state;
  }

  set(lit: boolean): void {
    this.state = lit;
    void this.out.set(lit);
  }

  settled(): Promise<void> {
    return this.out.settled();
  }

  async open(): Promise<void> {
    await this.out.open();
  }

  async close(): Promise<void> {
    this.state = false;
    await this.out.close();
  }

  stats(): GpiodStats {
    return this.out.stats(this.id);
  }
}
