/**
 * The peer lab: one Kamailio (registrar + proxy, digest auth), any number of baresip
 * phones and sipp runs, all on loopback, with ports derived from one base port and all
 * state in one temp dir (kept when asked to, or when a test using it failed).
 *
 *   const lab = await startLab({ basePort: 16000, users: { '100': 'pw100', door: 'doorpw' } });
 *   const phone = await lab.phone({ user: '100', tone: 1000, codecs: ['pcmu'] });
 *   await phone.waitRegistered();
 *   ...
 *   await lab.stop();
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFailed } from 'vitest';
import { Kamailio, type LabTls } from './kamailio.js';
import { Phone, type PhoneOptions } from './baresip.js';
import { SippRun, type SippOptions, type SippResult } from './sipp.js';
import { phonePorts, sippPorts, kamailioPort, freePorts, MAX_PHONES, MAX_SIPPS } from './ports.js';
import { LabError } from './proc.js';

export interface LabOptions {
  basePort: number;
  /** user -> password, loaded into kamailio's htable. */
  users: Record<string, string>;
  /** Prefix of the temp dir name. */
  name?: string;
  /** Hard lifetime of every child in s (default 120). */
  maxLifetimeS?: number;
  /** Keep the state dir after stop (also when env PORTIER_LAB_KEEP=1). */
  keep?: boolean;
  /** Kamailio also listens for SIP over TLS on basePort+1 with a self-signed certificate (see lab.tls). */
  tls?: boolean;
}

export type LabSippOptions = Omit<SippOptions, 'port' | 'dir'> & { port?: number; dir?: string };

export class Lab {
  readonly basePort: number;
  readonly dir: string;
  readonly users: Record<string, string>;
  readonly kamailio: Kamailio;
  readonly phones: Phone[] = [];
  readonly sipps: SippRun[] = [];
  private kept: boolean;
  private stopped = false;
  private readonly maxLifetimeS: number | undefined;

  private constructor(opts: LabOptions, dir: string, kamailio: Kamailio) {
    this.basePort = opts.basePort;
    this.dir = dir;
    this.users = { ...opts.users };
    this.kamailio = kamailio;
    this.kept = opts.keep === true || process.env.PORTIER_LAB_KEEP === '1';
    this.maxLifetimeS = opts.maxLifetimeS;
  }

  static async start(opts: LabOptions): Promise<Lab> {
    const dir = mkdtempSync(join(tmpdir(), `${opts.name ?? 'portier-lab'}-${opts.basePort}-`));
    const kdir = join(dir, 'kamailio');
    mkdirSync(kdir);
    let kamailio: Kamailio;
    try {
      kamailio = await Kamailio.start({ dir: kdir, port: kamailioPort(opts.basePort), users: opts.users, maxLifetimeS: opts.maxLifetimeS, tls: opts.tls });
    } catch (e) {
      if (!(opts.keep === true || process.env.PORTIER_LAB_KEEP === '1')) rmSync(dir, { recursive: true, force: true });
      throw new LabError((e as LabError).code ?? 'LAB_START', `lab at ${dir}: ${(e as Error).message}`);
    }
    const lab = new Lab(opts, dir, kamailio);
    lab.keepOnFailure();
    return lab;
  }

  /**
   * Keep the state dir if the current test fails. Called by startLab and by every phone()/
   * startSipp() call, so a lab made in beforeAll is kept when a test that used it fails.
   */
  private keepOnFailure(): void {
    try {
      onTestFailed(() => this.keep());
    } catch {
      /* not inside a test body (e.g. beforeAll) */
    }
  }

  /** Kamailio's address, e.g. `127.0.0.1:16000`. */
  get registrar(): string {
    return `127.0.0.1:${this.kamailio.port}`;
  }

  /** TLS port and certificate paths when the lab was started with tls: true. */
  get tls(): LabTls | undefined {
    return this.kamailio.tls;
  }

  /** SIP URI of a user at the registrar, e.g. `sip:door@127.0.0.1:16000`. */
  uri(user: string): string {
    return `sip:${user}@${this.registrar}`;
  }

  /** Ports the test may use for the device under test (BASE+900..BASE+999). */
  get devicePorts(): { first: number; last: number } {
    return freePorts(this.basePort);
  }

  /** Start a baresip phone (registers with the lab's kamailio unless register: false). */
  async phone(opts: PhoneOptions): Promise<Phone> {
    this.keepOnFailure();
    const index = this.phones.length;
    if (index >= MAX_PHONES) throw new LabError('LAB_PORTS', `at most ${MAX_PHONES} phones per lab`);
    const dir = join(this.dir, `phone${index}-${opts.user}`);
    mkdirSync(dir);
    const phone = await Phone.start(
      { maxLifetimeS: this.maxLifetimeS, ...opts },
      { dir, ports: phonePorts(this.basePort, index), registrarPort: this.kamailio.port, password: this.users[opts.user] ?? '', tls: this.kamailio.tls,
        extraContext: () => `--- kamailio trace (${this.kamailio.proc.logPath}):\n${this.kamailio.traceTail(12)}` },
    );
    this.phones.push(phone);
    return phone;
  }

  /** Start sipp in the background; `await run.ready()` before a peer calls a UAS, then `await run.wait()`. */
  async startSipp(opts: LabSippOptions): Promise<SippRun> {
    this.keepOnFailure();
    const index = this.sipps.length;
    if (index >= MAX_SIPPS) throw new LabError('LAB_PORTS', `at most ${MAX_SIPPS} sipp runs per lab`);
    const ports = sippPorts(this.basePort, index);
    const run = await SippRun.start({
      maxLifetimeS: this.maxLifetimeS,
      ...opts,
      port: opts.port ?? ports.sip,
      mediaPort: opts.mediaPort ?? ports.media,
      dir: opts.dir ?? join(this.dir, `sipp${index}`),
    });
    this.sipps.push(run);
    return run;
  }

  /** Run sipp to completion (target defaults to kamailio) and return its result. */
  async sipp(opts: LabSippOptions, timeoutMs = 30000): Promise<SippResult> {
    const run = await this.startSipp(opts);
    return run.wait(timeoutMs);
  }

  isRegistered(user: string): Promise<boolean> {
    return this.kamailio.isRegistered(user);
  }

  waitRegistered(user: string, timeoutMs = 5000): Promise<void> {
    return this.kamailio.waitRegistered(user, timeoutMs);
  }

  /** Keep the state dir (recordings, logs) after stop. */
  keep(): void {
    this.kept = true;
  }

  /** Tails of every peer's log, for failure messages. */
  diagnostics(lines = 20): string {
    const parts = [`lab dir: ${this.dir}`, `--- kamailio:\n${this.kamailio.proc.tail(lines)}`];
    for (const p of this.phones) parts.push(`--- phone ${p.user} (${p.dir}):\n${p.proc.tail(lines)}`);
    for (const s of this.sipps) parts.push(`--- ${s.proc.name} (${s.opts.dir}):\n${s.proc.tail(lines)}`);
    return parts.join('\n');
  }

  /** Every pid still alive in any of the lab's process groups. */
  livePids(): number[] {
    const procs = [this.kamailio.proc, ...this.phones.map((p) => p.proc), ...this.sipps.map((s) => s.proc)];
    return procs.flatMap((p) => p.groupPids());
  }

  /** Stop sipp runs and phones first (they un-REGISTER), then kamailio. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.sipps.map((s) => s.proc.stop(500)));
    await Promise.all(this.phones.map((p) => p.stop()));
    await this.kamailio.stop();
    if (this.kept) {
      console.log(`[peer lab] state kept in ${this.dir}`);
    } else {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

export function startLab(opts: LabOptions): Promise<Lab> {
  return Lab.start(opts);
}
