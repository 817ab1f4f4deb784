/**
 * sipp 3.6.1 runner: each run gets its own working directory (play_pcap_audio paths are
 * resolved against sipp's cwd), traces on, and a parsed result (exit code, counters, logs).
 */
import { mkdirSync, readdirSync, readFileSync, copyFileSync, symlinkSync, existsSync } from 'node:fs';
import { join, dirname, basename, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PeerProcess, LabError, waitFor, sleep, tailText } from './proc.js';
import { assertPortsFree, busyPorts } from './ports.js';

export const SIPP_SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/peers/sipp');
export const SIPP_BUILTINS = ['uac', 'uas', 'regexp', 'branchc', 'branchs', 'uac_pcap', '3pcc-C-A', '3pcc-C-B', '3pcc-A', '3pcc-B'];

export interface SippOptions {
  /** A builtin (`uas`, `uac`, `uac_pcap`...), a file name in test/fixtures/peers/sipp, or an absolute path. */
  scenario: string;
  /** Remote host:port (UAC scenarios). */
  target?: string;
  /** Local SIP port (the lab allocates one when omitted). */
  port: number;
  /** Local media port for RTP (-mp). */
  mediaPort?: number;
  /** Working dir for this run (created). */
  dir: string;
  calls?: number; // -m (default 1)
  rate?: number; // -r calls per second
  ratePeriodMs?: number; // -rp
  service?: string; // -s
  auth?: { user: string; password: string }; // -au/-ap
  keys?: Record<string, string>; // -key k v
  durationMs?: number; // -d (pause length)
  timeoutS?: number; // -timeout (global), default 20
  recvTimeoutMs?: number; // -recv_timeout
  transport?: 'u1' | 'un' | 't1' | 'tn'; // -t
  rtpEcho?: boolean;
  /** Files to link into sipp's cwd: name in cwd -> absolute source path (pcaps for play_pcap_audio). */
  files?: Record<string, string>;
  extraArgs?: string[];
  maxLifetimeS?: number;
}

export interface SippStep {
  /** Method or status code of the scenario row, e.g. 'INVITE', '200'. */
  name: string;
  /** True for messages sipp received, false for ones it sent. */
  received: boolean;
  messages: number;
  /** Sent rows: retransmissions sipp sent. Received rows: retransmissions sipp received (and absorbed). */
  retrans: number;
  timeout: number;
  unexpected: number;
}

export interface SippStats {
  successful: number;
  failed: number;
  created: number;
  /** Message rows of the scenario screen, in scenario order. */
  steps: SippStep[];
}

export interface SippResult {
  code: number | null;
  /** 0 all calls ok, 1 some failed, 97 internal command, 99 no calls processed, 255/254 fatal/bind errors. */
  ok: boolean;
  stats: SippStats;
  /** The final screen (counters per scenario step). */
  screen: string;
  /** -trace_err log: unexpected messages and failures. */
  errors: string;
  /** -trace_msg log: every message sent and received. */
  messages: string;
  /** sipp's own stdout/stderr. */
  log: string;
  dir: string;
}

function scenarioArgs(scenario: string): string[] {
  if (SIPP_BUILTINS.includes(scenario)) return ['-sn', scenario];
  const path = isAbsolute(scenario) ? scenario : join(SIPP_SCENARIO_DIR, scenario);
  if (!existsSync(path)) throw new LabError('LAB_CONFIG', `sipp scenario not found: ${path}`);
  return ['-sf', path];
}

export function sippArgs(o: SippOptions): string[] {
  const a = [...scenarioArgs(o.scenario)];
  if (o.target) a.push(o.target);
  a.push('-i', '127.0.0.1', '-p', String(o.port), '-nostdin', '-m', String(o.calls ?? 1));
  a.push('-timeout', `${o.timeoutS ?? 20}s`, '-timeout_error');
  if (o.mediaPort !== undefined) a.push('-mp', String(o.mediaPort));
  if (o.rate !== undefined) a.push('-r', String(o.rate));
  if (o.ratePeriodMs !== undefined) a.push('-rp', String(o.ratePeriodMs));
  if (o.service) a.push('-s', o.service);
  if (o.auth) a.push('-au', o.auth.user, '-ap', o.auth.password);
  for (const [k, v] of Object.entries(o.keys ?? {})) a.push('-key', k, v);
  if (o.durationMs !== undefined) a.push('-d', String(o.durationMs));
  if (o.recvTimeoutMs !== undefined) a.push('-recv_timeout', String(o.recvTimeoutMs));
  if (o.transport) a.push('-t', o.transport);
  if (o.rtpEcho) a.push('-rtp_echo');
  a.push('-trace_msg', '-trace_err', '-trace_screen', '-trace_stat', '-stf', 'stat.csv', '-fd', '1');
  a.push(...(o.extraArgs ?? []));
  return a;
}

/** Counters from the final screens: statistics ("Successful call | period | cumulative") and message rows. */
export function parseSippScreen(screen: string): SippStats {
  const cumulative = (label: string): number => {
    const m = new RegExp(`${label}\\s*\\|[^|]*\\|\\s*(\\d+)`, 'i').exec(screen);
    return m ? Number(m[1]) : 0;
  };
  // Only the last scenario screen counts (sipp prints it once at the end with -trace_screen).
  const lastScenario = screen.lastIndexOf('Scenario Screen');
  const statsAt = screen.indexOf('Statistics Screen', Math.max(0, lastScenario));
  const scenario = screen.slice(Math.max(0, lastScenario), statsAt >= 0 ? statsAt : undefined);
  const steps: SippStep[] = [];
  for (const line of scenario.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    const arrowAt = tokens.findIndex((t) => /^(-{3,}>|<-{3,})$/.test(t));
    if (arrowAt < 0) continue;
    const arrow = tokens[arrowAt];
    // UAC screens: "INVITE ---------->" (sent) / "200 <----------" (received);
    // UAS screens: "----------> INVITE" (received) / "<---------- 200" (sent).
    const nameFirst = arrowAt === 1;
    const name = nameFirst ? tokens[0] : tokens[arrowAt + 1];
    const received = nameFirst ? arrow.startsWith('<') : arrow.endsWith('>');
    const nums = tokens.slice(nameFirst ? arrowAt + 1 : arrowAt + 2).filter((t) => /^\d+$/.test(t)).map(Number);
    steps.push({ name, received, messages: nums[0] ?? 0, retrans: nums[1] ?? 0, timeout: nums[2] ?? 0, unexpected: nums[3] ?? 0 });
  }
  return { successful: cumulative('Successful call'), failed: cumulative('Failed call'), created: cumulative('Total Calls created'), steps };
}

/** The n-th (0-based) scenario row with this name and direction, e.g. sippStep(stats, 'INVITE', true). */
export function sippStep(stats: SippStats, name: string, received: boolean, nth = 0): SippStep | undefined {
  return stats.steps.filter((s) => s.name === name && s.received === received)[nth];
}

export class SippRun {
  readonly opts: SippOptions;
  readonly proc: PeerProcess;

  constructor(opts: SippOptions) {
    this.opts = opts;
    mkdirSync(opts.dir, { recursive: true });
    for (const [name, src] of Object.entries(opts.files ?? {})) {
      const dst = join(opts.dir, name);
      mkdirSync(dirname(dst), { recursive: true });
      if (!existsSync(dst)) {
        try {
          symlinkSync(src, dst);
        } catch {
          copyFileSync(src, dst);
        }
      }
    }
    this.proc = new PeerProcess({
      name: `sipp-${basename(opts.scenario)}`,
      cmd: 'sipp',
      args: sippArgs(opts),
      cwd: opts.dir,
      logPath: join(opts.dir, 'sipp.log'),
      maxLifetimeS: opts.maxLifetimeS ?? (opts.timeoutS ?? 20) + 10,
    });
  }

  static async start(opts: SippOptions): Promise<SippRun> {
    const ports = [opts.port];
    if (opts.mediaPort !== undefined) ports.push(opts.mediaPort);
    await assertPortsFree(ports, `sipp ${opts.scenario}`);
    const run = new SippRun(opts);
    return run;
  }

  /** sipp's local SIP port. */
  get port(): number {
    return this.opts.port;
  }

  /** A URI that reaches this sipp directly (for a UAS scenario), e.g. sip:sipp@127.0.0.1:16500. */
  uri(user = 'sipp'): string {
    return `sip:${user}@127.0.0.1:${this.opts.port}`;
  }

  /** Wait until sipp has bound its SIP port (for UAS scenarios, before the peer calls it). */
  async ready(timeoutMs = 3000): Promise<void> {
    await waitFor(
      async () => {
        if (!this.proc.running) throw new LabError('LAB_PEER_EXITED', `sipp exited (${this.proc.code}) before binding\n${this.proc.tail(20)}`);
        return (await busyPorts([this.opts.port])).length === 1;
      },
      { timeoutMs, intervalMs: 25, what: `sipp listening on ${this.opts.port}`, context: () => this.proc.tail(20) },
    );
  }

  /** Wait for sipp to exit (bounded) and collect its result. */
  async wait(timeoutMs = 30000): Promise<SippResult> {
    const code = await Promise.race([this.proc.exited, sleep(timeoutMs).then(() => 'timeout' as const)]);
    if (code === 'timeout') {
      await this.stop();
      throw new LabError('LAB_TIMEOUT', `sipp ${this.opts.scenario} still running after ${timeoutMs} ms\n${this.proc.tail(30)}`);
    }
    return this.result();
  }

  /**
   * Stop sipp now but keep its final screens: SIGUSR1 (soft stop: no new calls), and if it is
   * still running after 300 ms (e.g. in a timewait), SIGTERM, on which it prints them too;
   * then the group is killed.
   */
  async stop(): Promise<SippResult> {
    if (this.proc.running && this.proc.signalProgram('SIGUSR1')) {
      await Promise.race([this.proc.exited, sleep(300)]);
    }
    await this.proc.stop(1500);
    return this.result();
  }

  result(): SippResult {
    const read = (suffix: string): string => {
      const f = readdirSync(this.opts.dir).find((n) => n.endsWith(suffix));
      return f ? readFileSync(join(this.opts.dir, f), 'utf8') : '';
    };
    const log = this.proc.log();
    // -trace_screen writes its file at a normal end; after a forced stop the screens are on stdout
    const screen = read('_screen.log') || log;
    const code = this.proc.code ?? null;
    return {
      code,
      ok: code === 0,
      stats: parseSippScreen(screen),
      screen,
      errors: read('_errors.log'),
      messages: read('_messages.log'),
      log,
      dir: this.opts.dir,
    };
  }

  describe(): string {
    const r = this.result();
    return `sipp ${this.opts.scenario} exit ${r.code}\n${tailText(r.screen, 30)}\n--- errors:\n${tailText(r.errors, 20)}\n--- log:\n${tailText(r.log, 10)}`;
  }
}
