/**
 * Running the libgpiod tools: where they are (PATH, or a directory for tests), which major
 * version they are (detected once from `gpioset --version`), one-shot runs (gpioget, gpiofind) and
 * line-name resolution (v1 needs chip + offset; v2 takes names directly).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../daemon/util/clock.js';
import { PortierError } from '../../daemon/util/errors.js';
import { classifyGpiodFailure, describeLine, lineAddress, parseGpiodVersion, parseGpiofind, type GpiodVersion, type LineAddress } from './gpiod-cli.js';

export interface GpiodToolsOptions {
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** run the tools from this directory instead of PATH */
  binDir?: string;
  /** how long a gpiomon/gpioset child must live to count as started (default 150 ms) */
  startupGraceMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** one-shot tools (gpioget, gpiofind, --version) time out after this (default 3 s) */
  toolTimeoutMs?: number;
}

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** ENOENT and friends: the tool could not be started */
  spawnError?: string;
}

export class GpiodTools {
  readonly clock: Clock;
  private versionP: Promise<GpiodVersion> | undefined;

  constructor(readonly opts: GpiodToolsOptions = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  command(tool: string): string {
    return this.opts.binDir ? join(this.opts.binDir, tool) : tool;
  }

  run(tool: string, args: string[]): Promise<ToolRun> {
    return new Promise((resolve) => {
      execFile(this.command(tool), args, { env: this.opts.env ?? process.env, timeout: this.opts.toolTimeoutMs ?? 3000 }, (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
        if (e && typeof e.code === 'string') {
          resolve({ code: null, stdout: String(stdout), stderr: String(stderr), spawnError: e.code === 'ENOENT' ? `${tool} is not installed (apt install gpiod)` : e.message });
          return;
        }
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
      });
    });
  }

  /** libgpiod major version, from the first line of `gpioset --version` (cached). */
  version(): Promise<GpiodVersion> {
    this.versionP ??= (async () => {
      const r = await this.run('gpioset', ['--version']);
      if (r.spawnError) throw new PortierError('HAL_DRIVER_ERROR', `gpiod driver: ${r.spawnError}`);
      const v = parseGpiodVersion(r.stdout.split('\n')[0] ?? '') ?? parseGpiodVersion(r.stdout + r.stderr);
      if (!v) throw new PortierError('HAL_DRIVER_ERROR', `gpiod driver: cannot tell the libgpiod version from "gpioset --version": ${(r.stdout + r.stderr).trim().slice(0, 120)}`);
      return v;
    })();
    this.versionP.catch(() => (this.versionP = undefined));
    return this.versionP;
  }

  /**
   * The address to hand to the tools. v1 addresses lines by chip + offset only, so a line name is
   * looked up with `gpiofind NAME` ("gpiochip0 17"); v2 takes the name as it is.
   */
  async resolve(chip: string | number | undefined, line: number | string | undefined): Promise<LineAddress> {
    const a = lineAddress(chip, line);
    if (a.name === undefined) return a;
    const v = await this.version();
    if (v.major === 2) return a;
    const r = await this.run('gpiofind', [a.name]);
    if (r.spawnError) throw new PortierError('HAL_DRIVER_ERROR', `gpiod driver: ${r.spawnError}`);
    const found = r.code === 0 ? parseGpiofind(r.stdout) : null;
    if (!found) throw new PortierError('HAL_DRIVER_ERROR', `GPIO ${describeLine(a)} not found by gpiofind (list lines with "gpioinfo")`);
    if (a.chip && found.chip !== a.chip) {
      throw new PortierError('HAL_DRIVER_ERROR', `GPIO line "${a.name}" is on ${found.chip}, not on the configured chip ${a.chip}`);
    }
    return { chip: found.chip, offset: found.offset, name: a.name };
  }

  /** A one-shot gpioget; a failure becomes the classified error. */
  async get(args: string[], a: LineAddress): Promise<string> {
    const r = await this.run('gpioget', args);
    if (r.spawnError) throw new PortierError('HAL_DRIVER_ERROR', `gpiod driver: ${r.spawnError}`);
    if (r.code !== 0) throw classifyGpiodFailure('gpioget', a, r.stderr);
    return r.stdout;
  }
}

const shared = new Map<string, GpiodTools>();

/** One GpiodTools (so one version probe) per tool location. */
export function gpiodToolsFor(opts: GpiodToolsOptions = {}): GpiodTools {
  const key = `${opts.binDir ?? ''}|${(opts.env ?? process.env).PATH ?? ''}`;
  let t = shared.get(key);
  if (!t) {
    t = new GpiodTools(opts);
    shared.set(key, t);
  }
  return t;
}
