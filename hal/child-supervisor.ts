/**
 * A long-running helper process (arecord, aplay, gpiomon, gpioset) kept alive for a driver:
 * `start()` spawns it and decides within a short grace period whether it came up (an early exit
 * is turned into an error by the driver's `classify`); afterwards an unexpected exit is restarted
 * with exponential backoff, and `stop()` ends it (SIGTERM, then SIGKILL). Every live child is
 * also killed when the Node process exits, so a door strike never stays held by an orphan.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Clock, TimerHandle } from '../daemon/util/clock.js';
import { PortierError } from '../daemon/util/errors.js';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** the last stderr lines (at most ~4 KiB) */
  stderr: string;
}

export interface ChildSupervisorOptions {
  /** what the child is for, in messages ("arecord on default") */
  name: string;
  command: string;
  /** called at every (re)start, so a restart can use the current state (e.g. a relay's level) */
  args: () => string[];
  env?: NodeJS.ProcessEnv;
  clock: Clock;
  /** how long start() waits for an early exit (default 200 ms); ends early at the first stdout byte */
  startupGraceMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** a restart that then lives this long resets the backoff (default 10 s) */
  stableAfterMs?: number;
  /** turns an exit into a clear error; null falls back to a generic HAL_DRIVER_ERROR */
  classify?: (exit: ChildExit) => PortierError | null;
  onStdout?: (chunk: Buffer) => void;
  onStderrLine?: (line: string) => void;
  /** an unexpected exit while running; a restart follows after `restartInMs` */
  onCrash?: (err: PortierError, restartInMs: number) => void;
  onSpawn?: (child: ChildProcess) => void;
  /** runs before each restart (not the first start); its errors are ignored */
  beforeRestart?: () => Promise<void>;
}

export interface SupervisorStats {
  running: boolean;
  starts: number;
  restarts: number;
  lastError?: string;
  lastErrorCode?: string;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGTERM');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Live children started by any supervisor (for tests that check cleanup). */
export const liveChildCount = (): number => live.size;

export class ChildSupervisor {
  private child: ChildProcess | undefined;
  private wanted = false;
  private restartTimer: TimerHandle | undefined;
  private backoffMs: number;
  private startedAt = 0;
  private stderrTail = '';
  private readonly counters = { starts: 0, restarts: 0 };
  private lastErr: PortierError | undefined;
  private exitWaiters: (() => void)[] = [];
  private startWaiter: ((err: PortierError) => void) | undefined;

  constructor(private readonly opts: ChildSupervisorOptions) {
    this.backoffMs = opts.backoffInitialMs ?? 250;
  }

  get process(): ChildProcess | undefined {
    return this.child;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  stats(): SupervisorStats {
    return {
      running: this.running,
      starts: this.counters.starts,
      restarts: this.counters.restarts,
      lastError: this.lastErr?.message,
      lastErrorCode: this.lastErr?.code,
    };
  }

  /** Spawns the child; rejects with the classified error if it exits within the grace period. */
  async start(): Promise<void> {
    this.wanted = true;
    const child = this.spawnChild();
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const done = (err?: PortierError) => {
        if (settled) return;
        settled = true;
        this.opts.clock.clearTimeout(timer);
        child.stdout?.off('data', onData);
        this.startWaiter = undefined;
        if (err) reject(err);
        else resolve();
      };
      const onData = () => done();
      this.startWaiter = (err) => done(err);
      const timer = this.opts.clock.setTimeout(() => done(), this.opts.startupGraceMs ?? 200);
      child.stdout?.once('data', onData);
    }).catch((err: unknown) => {
      this.wanted = false;
      this.opts.clock.clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
      throw err;
    });
  }

  /**
   * Ends the child and cancels pending restarts: waits `graceMs` for it to exit by itself (aplay
   * after its stdin closed), then SIGTERM, then SIGKILL after `killAfterMs`.
   */
  async stop(killAfterMs = 1000, graceMs = 0): Promise<void> {
    this.wanted = false;
    this.opts.clock.clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    if (graceMs > 0) {
      let g: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => (g = setTimeout(r, graceMs)))]);
      clearTimeout(g);
      if (this.child !== child) return;
    }
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    await exited;
    clearTimeout(t);
  }

  /** Restarts now (used to apply new arguments, e.g. a relay's new level). */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private errorFor(exit: ChildExit): PortierError {
    const classified = this.opts.classify?.(exit);
    if (classified) return classified;
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const tail = exit.stderr.trim().split('\n').slice(-1)[0];
    return new PortierError('HAL_DRIVER_ERROR', `${this.opts.name} ${how}${tail ? `: ${tail}` : ''}`);
  }

  private spawnChild(): ChildProcess {
    this.stderrTail = '';
    this.lastErr = undefined;
    const child = spawn(this.opts.command, this.opts.args(), {
      env: this.opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.counters.starts++;
    this.startedAt = this.opts.clock.now();
    trackChild(child);
    child.stdin?.on('error', () => {}); // EPIPE when the child dies; the exit handler deals with it
    child.stdout?.on('data', (chunk: Buffer) => this.opts.onStdout?.(chunk));
    let partial = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      this.stderrTail = (this.stderrTail + s).slice(-4096);
      partial += s;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.opts.onStderrLine?.(line);
    });
    child.on('error', (err) => {
      // spawn failure (ENOENT: the tool is not installed); an 'exit' may not follow
      this.lastErr = new PortierError('HAL_DRIVER_ERROR', `${this.opts.name}: cannot run ${this.opts.command}: ${err.message}`);
      if (child.exitCode === null && child.pid === undefined) this.onChildExit(child, { code: null, signal: null, stderr: err.message });
    });
    child.on('close', (code, signal) => this.onChildExit(child, { code, signal, stderr: this.stderrTail }));
    this.opts.onSpawn?.(child);
    return child;
  }

  private onChildExit(child: ChildProcess, exit: ChildExit): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (!this.lastErr) this.lastErr = this.errorFor(exit);
    if (this.startWaiter) {
      // died during start(): start() rejects; no restart
      this.wanted = false;
      this.startWaiter(this.lastErr);
    }
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w();
    if (!this.wanted) return;
    const lived = this.opts.clock.now() - this.startedAt;
    if (lived >= (this.opts.stableAfterMs ?? 10_000)) this.backoffMs = this.opts.backoffInitialMs ?? 250;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.backoffMaxMs ?? 5000);
    this.opts.onCrash?.(this.lastErr, delay);
    this.restartTimer = this.opts.clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.wanted || this.child) return;
      const respawn = () => {
        if (!this.wanted || this.child) return;
        this.counters.restarts++;
        this.spawnChild();
      };
      if (!this.opts.beforeRestart) return respawn();
      this.opts.beforeRestart().then(respawn, respawn);
    }, delay);
  }
}
