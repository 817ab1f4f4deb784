/**
 * Process hygiene for peer-lab children (kamailio, baresip, sipp, pulseaudio).
 *
 * Every peer runs as `timeout -k 3 <max> <cmd...>` in its own session/process group
 * (Node's `detached: true` calls setsid), with stdout+stderr going to a log file.
 * GNU timeout forwards SIGTERM to the program, so `stop()` sends SIGTERM to the group
 * leader (the program shuts down cleanly: phones un-REGISTER, WAV headers get finished),
 * polls for exit against a deadline, then SIGKILLs the whole group.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync, readdirSync } from 'node:fs';

export class LabError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'LabError';
  }
}

export interface SpawnPeerOptions {
  name: string;
  cmd: string;
  args: string[];
  cwd: string;
  logPath: string;
  env?: NodeJS.ProcessEnv;
  /** Hard lifetime limit in seconds enforced by `timeout` (default 120). */
  maxLifetimeS?: number;
  /** Line-buffer stdout with `stdbuf -oL` (default true). */
  lineBuffered?: boolean;
}

/** Live peer process groups of this Node process, SIGKILLed if Node exits without stopping them. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const g of liveGroups) signalPid(-g, 'SIGKILL');
    });
  }
}

export class PeerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  private readonly child: ChildProcess;
  private exitCode: number | null | undefined = undefined;
  readonly exited: Promise<number | null>;

  constructor(opts: SpawnPeerOptions) {
    this.name = opts.name;
    this.logPath = opts.logPath;
    const fd = openSync(opts.logPath, 'a');
    const inner = opts.lineBuffered === false ? [opts.cmd, ...opts.args] : ['stdbuf', '-oL', '-eL', opts.cmd, ...opts.args];
    const child = spawn('timeout', ['-k', '3', String(opts.maxLifetimeS ?? 120), ...inner], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    if (child.pid === undefined) throw new LabError('LAB_SPAWN', `${opts.name}: could not spawn ${opts.cmd}`);
    this.child = child;
    this.pid = child.pid;
    trackGroup(this.pid);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? null : 0);
        resolve(this.exitCode);
      });
      child.once('error', () => {
        this.exitCode = null;
        resolve(null);
      });
    });
    child.unref();
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  get code(): number | null | undefined {
    return this.exitCode;
  }

  log(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  tail(lines = 25): string {
    return tailText(this.log(), lines);
  }

  /** Pid of the program itself (the child of `timeout`), or undefined once it is gone. */
  programPid(): number | undefined {
    try {
      const kids = readFileSync(`/proc/${this.pid}/task/${this.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      return kids.length > 0 ? Number(kids[0]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Send a signal to the program itself (`timeout` forwards only TERM/INT/HUP/QUIT/ALRM). */
  signalProgram(sig: NodeJS.Signals): boolean {
    const pid = this.programPid();
    if (pid === undefined) return false;
    signalPid(pid, sig);
    return true;
  }

  /** Pids of every live process in this peer's process group (pgid = leader pid). */
  groupPids(): number[] {
    return processGroupMembers(this.pid);
  }

  /** SIGTERM the program, wait up to graceMs for it to exit, then SIGKILL the whole group. */
  async stop(graceMs = 4000): Promise<void> {
    if (this.running) {
      signalPid(this.pid, 'SIGTERM');
      await Promise.race([this.exited, sleep(graceMs)]);
    }
    signalPid(-this.pid, 'SIGKILL');
    // Members of the group may outlive the leader for a moment; wait until the group is empty.
    const deadline = Date.now() + 2000;
    while (processGroupMembers(this.pid).length > 0 && Date.now() < deadline) {
      signalPid(-this.pid, 'SIGKILL');
      await sleep(20);
    }
    await Promise.race([this.exited, sleep(500)]);
    if (processGroupMembers(this.pid).length === 0) liveGroups.delete(this.pid);
  }
}

export function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Live (non-zombie) processes whose process group id is pgid, read from /proc. */
export function processGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...  — comm may contain spaces, so split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    const pgrp = Number(rest[2]);
    if (pgrp === pgid && state !== 'Z' && state !== 'X') out.push(Number(e));
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function tailText(text: string, lines: number): string {
  const all = text.split('\n');
  return all.slice(Math.max(0, all.length - lines - 1)).join('\n');
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a short command to completion (bounded by timeoutMs). Never rejects. */
export function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: opts.cwd, timeout: opts.timeoutMs ?? 5000, env: opts.env ?? process.env, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What we were waiting for, used in the error message. */
  what: string;
  /** Called on timeout to add context (peer log tails) to the error. */
  context?: () => string;
}

/** Poll `probe` until it returns a value other than undefined/false, or fail after timeoutMs. */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() >= deadline) {
      const ctx = opts.context ? `\n${opts.context()}` : '';
      throw new LabError('LAB_TIMEOUT', `timed out after ${opts.timeoutMs} ms waiting for ${opts.what}${ctx}`);
    }
    await sleep(opts.intervalMs ?? 25);
  }
}

export function fileExists(p: string): boolean {
  return existsSync(p);
}
