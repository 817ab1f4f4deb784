/**
 * The `gpiod` GPIO driver: Linux GPIO character devices through the libgpiod tools (field guide
 * audio-gpio-systemd (b)). Buttons and inputs are watched by a supervised `gpiomon` child whose
 * edges go through the Debouncer; relays and LEDs are driven by a `gpioset` child that keeps
 * running while the value must hold (a line's value is undefined once its holder exits), and is
 * replaced by a new one with the new value on every change. Dead children are restarted with
 * backoff; a missing or busy chip/line fails open() with a message that names it.
 */
import type { Clock, TimerHandle } from '../../daemon/util/clock.js';
import { systemClock } from '../../daemon/util/clock.js';
import { PortierError } from '../../daemon/util/errors.js';
import { TypedEmitter } from '../../daemon/util/events.js';
import { ChildSupervisor, type SupervisorStats } from '../child-supervisor.js';
import type { Button, ButtonEvents, Input, InputEvents, Led, Relay, RelayEvents, RelayState } from '../types.js';
import { Debouncer } from './debounce.js';
import { classifyGpiodFailure, describeLine, getArgs, monitorArgs, parseGetOutput, parseMonitorLine, setArgs, type Bias, type GpiodMajor, type LineAddress } from './gpiod-cli.js';
import { gpiodToolsFor, type GpiodTools, type GpiodToolsOptions } from './gpiod-tools.js';

export interface GpiodLineConfig {
  id: string;
  chip?: string;
  line?: number | string;
  active_low: boolean;
}

export interface GpiodWatchConfig extends GpiodLineConfig {
  bias: Bias;
  debounce_ms: number;
}

export interface GpiodDriverOptions extends GpiodToolsOptions {
  /** a crash of a child (it is restarted after restartInMs) */
  onCrash?: (info: { id: string; message: string; restartInMs: number }) => void;
}

export interface GpiodStats extends SupervisorStats {
  id: string;
  line: string;
  libgpiod?: string;
  /** monitor lines that did not parse */
  badLines?: number;
}

const NEVER = 2 ** 31 - 1;

/** A supervised gpiomon on one line, delivering logical edges (true = became active). */
class LineWatcher {
  private sup: ChildSupervisor | undefined;
  private addr: LineAddress | undefined;
  private major: GpiodMajor | undefined;
  private partial = '';
  badLines = 0;

  constructor(
    private readonly cfg: GpiodWatchConfig,
    private readonly tools: GpiodTools,
    private readonly clock: Clock,
    private readonly opts: GpiodDriverOptions,
    private readonly onEdge: (active: boolean) => void,
    /** the level read again before a restarted gpiomon (edges may have been missed meanwhile) */
    private readonly onResync: (active: boolean) => void,
  ) {}

  /**
   * Resolves the line, reads its level with gpioget (before gpiomon holds it) and hands it to
   * `onInitial`, then starts gpiomon.
   */
  async open(onInitial: (active: boolean) => void = () => {}): Promise<void> {
    const v = await this.tools.version();
    this.major = v.major;
    const a = await this.tools.resolve(this.cfg.chip, this.cfg.line);
    this.addr = a;
    const o = { activeLow: this.cfg.active_low, bias: this.cfg.bias };
    const initial = parseGetOutput(await this.tools.get(getArgs(v.major, a, o), a)) ?? false;
    this.sup = new ChildSupervisor({
      name: `gpiomon for ${this.cfg.id} (${describeLine(a)})`,
      command: this.tools.command('gpiomon'),
      args: () => monitorArgs(v.major, a, o),
      env: this.tools.opts.env,
      clock: this.clock,
      startupGraceMs: this.opts.startupGraceMs ?? 150,
      backoffInitialMs: this.opts.backoffInitialMs ?? 500,
      backoffMaxMs: this.opts.backoffMaxMs ?? 10_000,
      classify: (exit) => (exit.signal ? null : classifyGpiodFailure('gpiomon', a, exit.stderr)),
      onStdout: (chunk) => this.onData(chunk),
      onCrash: (err, restartInMs) => this.opts.onCrash?.({ id: this.cfg.id, message: err.message, restartInMs }),
      onSpawn: () => (this.partial = ''),
      beforeRestart: async () => {
        const level = parseGetOutput(await this.tools.get(getArgs(v.major, a, o), a));
        if (level !== null) this.onResync(level);
      },
    });
    onInitial(initial);
    await this.sup.start();
  }

  private onData(chunk: Buffer): void {
    const lines = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      const ev = parseMonitorLine(this.major ?? 1, line);
      if (!ev) {
        this.badLines++;
        continue;
      }
      this.onEdge(ev.rising);
    }
  }

  async close(): Promise<void> {
    await this.sup?.stop();
  }

  stats(id: string): GpiodStats {
    const s = this.sup?.stats() ?? { running: false, starts: 0, restarts: 0 };
    return { ...s, id, line: this.addr ? describeLine(this.addr) : String(this.cfg.line), badLines: this.badLines };
  }
}

/** A supervised gpioset holding one output line at the current logical value. */
class LineDriver {
  private sup: ChildSupervisor | undefined;
  private addr: LineAddress | undefined;
  private value = false;
  private chain: Promise<void> = Promise.resolve();
  private applyError: PortierError | undefined;
  private retryTimer: TimerHandle | undefined;
  private open_ = false;

  constructor(
    private readonly cfg: GpiodLineConfig,
    private readonly tools: GpiodTools,
    private readonly clock: Clock,
    private readonly opts: GpiodDriverOptions,
  ) {}

  /** Claims the line and drives it inactive. */
  async open(): Promise<void> {
    const v = await this.tools.version();
    const a = await this.tools.resolve(this.cfg.chip, this.cfg.line);
    this.addr = a;
    this.sup = new ChildSupervisor({
      name: `gpioset for ${this.cfg.id} (${describeLine(a)})`,
      command: this.tools.command('gpioset'),
      args: () => setArgs(v.major, a, this.value, this.cfg.active_low),
      env: this.tools.opts.env,
      clock: this.clock,
      startupGraceMs: this.opts.startupGraceMs ?? 150,
      backoffInitialMs: this.opts.backoffInitialMs ?? 500,
      backoffMaxMs: this.opts.backoffMaxMs ?? 10_000,
      classify: (exit) => (exit.signal ? null : classifyGpiodFailure('gpioset', a, exit.stderr)),
      onCrash: (err, restartInMs) => this.opts.onCrash?.({ id: this.cfg.id, message: err.message, restartInMs }),
    });
    await this.sup.start();
    this.open_ = true;
  }

  /** Queues a change; the old gpioset is ended before the new one requests the line. */
  set(active: boolean): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (active === this.value) return;
      this.value = active;
      if (this.sup) await this.apply(this.sup);
    });
    return this.chain;
  }

  private async apply(sup: ChildSupervisor): Promise<void> {
    try {
      await sup.stop();
      await sup.start();
      this.applyError = undefined;
    } catch (err) {
      // the line could not be claimed again (busy?): say so and keep trying with the current value
      this.applyError = err instanceof PortierError ? err : new PortierError('HAL_DRIVER_ERROR', String(err));
      const retryMs = this.opts.backoffMaxMs ?? 2000;
      this.opts.onCrash?.({ id: this.cfg.id, message: this.applyError.message, restartInMs: retryMs });
      this.retryTimer = this.clock.setTimeout(() => {
        this.retryTimer = undefined;
        if (this.open_ && !sup.running) this.chain = this.chain.then(() => this.apply(sup));
      }, retryMs);
    }
  }

  /** Waits for queued changes (tests, shutdown). */
  settled(): Promise<void> {
    return this.chain;
  }

  async close(): Promise<void> {
    await this.set(false); // leave the line inactive, then release it
    this.open_ = false;
    this.clock.clearTimeout(this.retryTimer);
    await this.sup?.stop();
  }

  stats(id: string): GpiodStats {
    const s = this.sup?.stats() ?? { running: false, starts: 0, restarts: 0 };
    return {
      ...s,
      id,
      line: this.addr ? describeLine(this.addr) : String(this.cfg.line),
      lastError: this.applyError?.message ?? s.lastError,
    };
  }
}

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

export class GpiodRelay implements Relay {
  readonly driver = 'gpiod';
  readonly events = new TypedEmitter<RelayEvents>();
  private readonly out: LineDriver;
  private current: RelayState = 'off';
  private pulseTimer: TimerHandle | undefined;

  constructor(
    private readonly cfg: GpiodLineConfig,
    private readonly clock: Clock = systemClock,
    opts: GpiodDriverOptions = {},
  ) {
    this.out = new LineDriver(cfg, gpiodToolsFor(opts), clock, opts);
  }

  get id(): string {
    return this.cfg.id;
  }

  get state(): RelayState {
    return this.current;
  }

  private setState(state: RelayState): void {
    if (state === this.current) return;
    this.current = state;
    void this.out.set(state === 'on');
    this.events.emit('change', { id: this.id, state });
  }

  on(): void {
    this.clock.clearTimeout(this.pulseTimer);
    this.pulseTimer = undefined;
    this.setState('on');
  }

  off(): void {
    this.clock.clearTimeout(this.pulseTimer);
    this.pulseTimer = undefined;
    this.setState('off');
  }

  pulse(ms: number): void {
    this.clock.clearTimeout(this.pulseTimer);
    this.setState('on');
    this.pulseTimer = this.clock.setTimeout(() => {
      this.pulseTimer = undefined;
      this.setState('off');
    }, ms);
  }

  /** Resolves when the hardware has caught up with the last change. */
  settled(): Promise<void> {
    return this.out.settled();
  }

  async open(): Promise<void> {
    await this.out.open();
  }

  async close(): Promise<void> {
    this.clock.clearTimeout(this.pulseTimer);
    this.pulseTimer = undefined;
    this.current = 'off';
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
