/**
 * Kamailio 5.6 as registrar + proxy with digest auth for the peer lab.
 * Config: test/fixtures/peers/kamailio.cfg, users from a per-run users.cfg in the state dir.
 */
import { copyFileSync, writeFileSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PeerProcess, run, waitFor, LabError, type RunResult } from './proc.js';
import { assertPortsFree } from './ports.js';

export const KAMAILIO_CFG = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/peers/kamailio.cfg');

export interface KamailioOptions {
  dir: string;
  port: number;
  /** Also listen for SIP over TLS on port+1 with a fresh self-signed certificate (needs kamailio-tls-modules). */
  tls?: boolean;
  users: Record<string, string>;
  maxLifetimeS?: number;
  startTimeoutMs?: number;
}

/** Line for users.cfg; user and password are escaped for a kamailio string literal. */
function userLine(user: string, password: string): string {
  if (!/^[A-Za-z0-9_.+-]+$/.test(user)) throw new LabError('LAB_CONFIG', `kamailio: user name '${user}' has characters the lab does not allow`);
  const pw = password.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return `$sht(users=>${user}) = "${pw}";`;
}

export interface LabTls {
  /** TLS listen port (SIP port + 1). */
  port: number;
  /** Self-signed certificate (CN and SAN 127.0.0.1 / localhost); use it as the CA to verify the server. */
  certPath: string;
  keyPath: string;
  /** certificate + key in one PEM (baresip's sip_certificate). */
  pemPath: string;
}

/** Make a self-signed EC certificate for 127.0.0.1/localhost in dir (valid 2 days). */
export async function makeSelfSignedCert(dir: string): Promise<Omit<LabTls, 'port'>> {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const r = await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { timeoutMs: 10000 });
  if (r.code !== 0) throw new LabError('LAB_TLS', `openssl could not make a certificate: ${r.stderr.trim()}`);
  const pemPath = join(dir, 'cert-and-key.pem');
  writeFileSync(pemPath, readFileSync(certPath, 'utf8') + readFileSync(keyPath, 'utf8'));
  return { certPath, keyPath, pemPath };
}

export interface Binding {
  /** Contact URI */
  address: string;
  /** seconds left */
  expires: number;
  userAgent: string;
  /** the kamailio socket it registered on, e.g. udp:127.0.0.1:16000 */
  socket: string;
  callId: string;
}

export class Kamailio {
  readonly port: number;
  tls: LabTls | undefined;
  readonly dir: string;
  readonly ctlSock: string;
  readonly proc: PeerProcess;

  private constructor(dir: string, port: number, proc: PeerProcess) {
    this.dir = dir;
    this.port = port;
    this.ctlSock = `unix:${join(dir, 'kamailio_ctl')}`;
    this.proc = proc;
  }

  static async start(opts: KamailioOptions): Promise<Kamailio> {
    await assertPortsFree(opts.tls ? [opts.port, opts.port + 1] : [opts.port], 'kamailio');
    copyFileSync(KAMAILIO_CFG, join(opts.dir, 'kamailio.cfg'));
    const tlsArgs: string[] = [];
    let tls: LabTls | undefined;
    if (opts.tls) {
      tls = { port: opts.port + 1, ...(await makeSelfSignedCert(opts.dir)) };
      const tlsCfg = join(opts.dir, 'tls.cfg');
      writeFileSync(
        tlsCfg,
        [
          '[server:default]', 'method = TLSv1.2+', 'verify_certificate = no', 'require_certificate = no',
          `private_key = ${tls.keyPath}`, `certificate = ${tls.certPath}`, '',
          '[client:default]', 'method = TLSv1.2+', 'verify_certificate = no', 'require_certificate = no', '',
        ].join('\n'),
      );
      tlsArgs.push('-A', 'WITH_TLS', '-A', `TLS_PORT=${tls.port}`, '-A', `TLS_CFG="${tlsCfg}"`);
    }
    const lines = Object.entries(opts.users).map(([u, p]) => userLine(u, p));
    writeFileSync(join(opts.dir, 'users.cfg'), lines.join('\n') + '\n');
    const ctl = `unix:${join(opts.dir, 'kamailio_ctl')}`;
    const proc = new PeerProcess({
      name: 'kamailio',
      cmd: 'kamailio',
      args: [
        '-f', 'kamailio.cfg', '-DD', '-E',
        '-A', `SIP_PORT=${opts.port}`,
        '-A', `CTL_SOCK="${ctl}"`,
        '-Y', opts.dir, '-w', opts.dir, '-m', '32', '-M', '4',
        ...tlsArgs,
      ],
      cwd: opts.dir,
      logPath: join(opts.dir, 'kamailio.log'),
      maxLifetimeS: opts.maxLifetimeS,
    });
    const k = new Kamailio(opts.dir, opts.port, proc);
    k.tls = tls;
    try {
      await waitFor(
        async () => {
          if (!proc.running) {
            const hint = opts.tls && /tls\.so/.test(proc.log()) ? ' (TLS needs the kamailio-tls-modules package; scripts/test-deps.sh installs it)' : '';
            throw new LabError('LAB_PEER_EXITED', `kamailio exited with ${proc.code}${hint}\n${proc.tail(30)}`);
          }
          return (await k.kamcmd(['core.uptime'])).code === 0;
        },
        { timeoutMs: opts.startTimeoutMs ?? 5000, intervalMs: 20, what: 'kamailio control socket', context: () => proc.tail(30) },
      );
    } catch (e) {
      await proc.stop(500);
      throw e;
    }
    return k;
  }

  kamcmd(args: string[]): Promise<RunResult> {
    return run('kamcmd', ['-s', this.ctlSock, ...args], { timeoutMs: 3000 });
  }

  /** True when the user part has at least one contact in the location table. */
  async isRegistered(user: string): Promise<boolean> {
    const r = await this.kamcmd(['ul.lookup', 'location', `s:${user}`]);
    return r.code === 0 && r.stdout.includes('AoR:');
  }

  /** Contacts registered for a user (Contact URIs), empty when none. */
  async contacts(user: string): Promise<string[]> {
    const r = await this.kamcmd(['ul.lookup', 'location', `s:${user}`]);
    if (r.code !== 0) return [];
    return [...r.stdout.matchAll(/Address:\s*(\S+)/g)].map((m) => m[1]);
  }

  /** Contact bindings of a user with their details (from `ul.lookup`), empty when none. */
  async bindings(user: string): Promise<Binding[]> {
    const r = await this.kamcmd(['ul.lookup', 'location', `s:${user}`]);
    if (r.code !== 0) return [];
    return r.stdout
      .split(/Contact: \{/)
      .slice(1)
      .map((block) => {
        const field = (name: string): string => new RegExp(`\\b${name}: ([^\\n]*)`).exec(block)?.[1].trim() ?? '';
        return { address: field('Address'), expires: Number(field('Expires')), userAgent: field('User-Agent'), socket: field('Socket'), callId: field('Call-ID') };
      });
  }

  /** Users (AoRs) with at least one registration (`ul.dump brief`). */
  async registeredUsers(): Promise<string[]> {
    const r = await this.kamcmd(['ul.dump', 'brief']);
    if (r.code !== 0) return [];
    return [...r.stdout.matchAll(/\bAoR: (\S+)/g)].map((m) => m[1]).sort();
  }

  async waitRegistered(user: string, timeoutMs = 5000): Promise<void> {
    await waitFor(() => this.isRegistered(user), { timeoutMs, intervalMs: 30, what: `registration of '${user}' at kamailio`, context: () => this.proc.tail(30) });
  }

  /**
   * Trace lines with a tag: LAB-REQ (every request received), LAB-REPLY (replies relayed),
   * LAB-CHALLENGE (401/407 sent), LAB-AUTH (unknown user / bad credentials), LAB-DENY (relay refused).
   */
  trace(tag: 'LAB-REQ' | 'LAB-REPLY' | 'LAB-CHALLENGE' | 'LAB-AUTH' | 'LAB-DENY' = 'LAB-REQ'): string[] {
    return this.proc.log().split('\n').filter((l) => l.includes(`${tag} `));
  }

  log(): string {
    return this.proc.log();
  }

  /** The last n trace and error lines (LAB-*, ERROR, CRITICAL), for failure messages. */
  traceTail(n = 12): string {
    return this.proc.log().split('\n').filter((l) => /LAB-|ERROR|CRITICAL/.test(l)).slice(-n).join('\n');
  }

  async stop(): Promise<void> {
    await this.proc.stop(3000);
  }
}
