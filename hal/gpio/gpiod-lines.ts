/**
 * The two kinds of supervised gpiod children behind the drivers in gpiod.ts: a LineWatcher runs
 * `gpiomon` on one line and delivers logical edges; a LineDriver keeps one `gpioset` holding an
 * output line at the current value and replaces it on every change.
 */
import type { Clock, TimerHandle } from '../../daemon/util/clock.js';
import { PortierError } from '../../daemon/util/errors.js';
import { ChildSupervisor, type SupervisorStats } from '../child-supervisor.js';
import { classifyGpiodFailure, describeLine, getArgs, monitorArgs, parseGetOutput, parseMonitorLine, setArgs, type Bias, type GpiodMajor, type LineAddress } from './gpiod-cli.js';
import type { GpiodTools, GpiodToolsOptions } from './gpiod-tools.js';

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

/** A supervised gpiomon on one line, delivering logical edges (true = became active). */
export class LineWatcher {
  private sup: ChildSupervisor | undefined;
  private addr: LineAddress | undefined;
  private major: GpiodMajor | undefined;
  private partial = '';
  private libgpiod: string | undefined;
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
    this.libgpiod = v.version;
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
    return { ...s, id, line: this.addr ? describeLine(this.addr) : String(this.cfg.line), libgpiod: this.libgpiod, badLines: this.badLines };
  }
}

/** A supervised gpioset holding one output line at the current logical value. */
export class LineDriver {
  private sup: ChildSupervisor | undefined;
  private addr: LineAddress | undefined;
  private value = false;
  private chain: Promise<void> = Promise.resolve();
  private applyError: PortierError | undefined;
  private retryTimer: TimerHandle | undefined;
  private libgpiod: string | undefined;
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
    this.libgpiod = v.version;
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
      libgpiod: this.libgpiod,
      lastError: this.applyError?.message ?? s.lastError,
    };
  }
}
