/**
 * baresip 1.0.0 as a headless lab phone: one directory per phone (config, accounts,
 * contacts, recordings, log), a sine or WAV source, sndfile recordings, ctrl_tcp control.
 */
import { mkdirSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PeerProcess, LabError, waitFor, sleep } from './proc.js';
import { assertPortsFree, range, type PhonePorts } from './ports.js';
import { wavInfo } from './wav.js';
import type { LabTls } from './kamailio.js';
import { BaresipCtrl, type BaresipEvent, type BaresipResponse } from './baresip-ctrl.js';

export type PhoneCodec = 'pcmu' | 'pcma' | 'g722' | 'opus';
/**
 * auto/manual/early are baresip answer modes. 'reject' and 'busy' run in manual mode and
 * answer CALL_INCOMING with a `hangup`; baresip 1.0.0 then replies 486 (its only choice:
 * `hangup` takes no status code in 1.0.0), so the two behave the same on the wire.
 */
export type AnswerMode = 'auto' | 'manual' | 'early' | 'reject' | 'busy';

export interface PhoneOptions {
  user: string;
  /** Defaults to the lab's password for this user. */
  password?: string;
  /** Sine tone in Hz (ausine: 48 kHz stereo). Default 1000 unless audioFile is given. */
  tone?: number;
  /** Absolute path of a 16-bit PCM WAV to send instead of a tone (aufile). */
  audioFile?: string;
  /** Offered codecs in order (default all four). */
  codecs?: PhoneCodec[];
  answer?: AnswerMode;
  /** Transport to the registrar; 'tls' needs a lab started with tls: true. */
  transport?: 'udp' | 'tcp' | 'tls';
  /** Send REGISTER (default true). */
  register?: boolean;
  /** Re-registration interval in s (default 600). */
  regint?: number;
  /** Extra `;key=value` account parameters, appended verbatim. */
  accountParams?: string;
  /** Hard lifetime limit in s (default 120). */
  maxLifetimeS?: number;
}

export interface PhoneContext {
  dir: string;
  ports: PhonePorts;
  registrarPort: number;
  password: string;
  /** The lab's TLS server (port, certificate) when it has one. */
  tls?: LabTls;
  /** More context for failure messages (the lab adds kamailio's log tail). */
  extraContext?: () => string;
}

const CODEC_NAMES: Record<PhoneCodec, string> = {
  pcmu: 'pcmu',
  pcma: 'pcma',
  g722: 'g722/16000/1',
  opus: 'opus/48000/2',
};

/** Events of a call that is still being set up; a CALL_CLOSED before them means it failed. */
const PROGRESS_EVENTS = ['CALL_ESTABLISHED', 'CALL_RINGING', 'CALL_PROGRESS', 'CALL_ANSWERED'];

export class Phone {
  readonly user: string;
  readonly dir: string;
  readonly recordDir: string;
  readonly ports: PhonePorts;
  readonly aor: string;
  readonly answer: AnswerMode;
  readonly proc: PeerProcess;
  readonly ctrl: BaresipCtrl;
  private readonly extraContext: (() => string) | undefined;

  private constructor(opts: PhoneOptions, ctx: PhoneContext, proc: PeerProcess) {
    this.extraContext = ctx.extraContext;
    this.user = opts.user;
    this.dir = ctx.dir;
    this.recordDir = join(ctx.dir, 'rec');
    this.ports = ctx.ports;
    this.aor = `sip:${opts.user}@127.0.0.1:${ctx.registrarPort}`;
    this.answer = opts.answer ?? 'auto';
    this.proc = proc;
    this.ctrl = new BaresipCtrl(ctx.ports.ctrl);
  }

  static async start(opts: PhoneOptions, ctx: PhoneContext): Promise<Phone> {
    const p = ctx.ports;
    await assertPortsFree([p.sip, p.tls, p.ctrl, ...range(p.rtpMin, p.rtpMax)], `phone ${opts.user}`);
    mkdirSync(join(ctx.dir, 'rec'), { recursive: true });
    writeFileSync(join(ctx.dir, 'config'), phoneConfig(opts, ctx));
    writeFileSync(join(ctx.dir, 'accounts'), accountLine(opts, ctx) + '\n');
    writeFileSync(join(ctx.dir, 'contacts'), '');
    const proc = new PeerProcess({
      name: `baresip-${opts.user}`,
      cmd: 'baresip',
      args: ['-f', ctx.dir],
      cwd: ctx.dir,
      logPath: join(ctx.dir, 'baresip.log'),
      maxLifetimeS: opts.maxLifetimeS,
    });
    const phone = new Phone(opts, ctx, proc);
    try {
      await phone.ctrl.connect(5000, () => proc.running);
    } catch (e) {
      await proc.stop(500);
      throw new LabError('LAB_PEER_START', `phone ${opts.user}: ${(e as Error).message}\n${proc.tail(30)}`);
    }
    if (phone.answer === 'reject' || phone.answer === 'busy') {
      phone.ctrl.onEvent((ev) => {
        if (ev.type === 'CALL_INCOMING') void phone.ctrl.command('hangup').catch(() => undefined);
      });
    }
    return phone;
  }

  get sipUri(): string {
    return `sip:${this.user}@127.0.0.1:${this.ports.sip}`;
  }

  get events(): BaresipEvent[] {
    return this.ctrl.events;
  }

  log(): string {
    return this.proc.log();
  }

  private context(): string {
    const evs = this.ctrl.events.slice(-12).map((e) => `${e.class}/${e.type} ${e.param ?? ''}`).join('\n  ');
    const extra = this.extraContext ? `\n${this.extraContext()}` : '';
    return `--- phone ${this.user} events:\n  ${evs}\n--- phone ${this.user} log tail:\n${this.proc.tail(25)}${extra}`;
  }

  command(command: string, params = ''): Promise<BaresipResponse> {
    return this.ctrl.command(command, params);
  }

  /** Registration state from `reginfo`: 'ok', 'error' (last REGISTER failed) or 'none' (not yet / not registering). */
  async registrationState(timeoutMs = 2000): Promise<'ok' | 'error' | 'none'> {
    const r = await this.ctrl.command('reginfo', '', timeoutMs);
    // data looks like "> sip:200@127.0.0.1:16000   \x1b[32mOK \x1b[;m portier-lab-kamailio Expires 600s"
    const text = r.data.replace(/\x1b\[[0-9;]*m/g, '');
    if (/\sOK\s/.test(text)) return 'ok';
    if (/\sERR\s/.test(text)) return 'error';
    return 'none';
  }

  /**
   * Wait until registered (REGISTER_OK event, or reginfo OK in case the event came before
   * ctrl_tcp connected). Fails at once when the registrar refused the phone (REGISTER_FAIL / ERR).
   */
  async waitRegistered(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const failed = (): never => {
      const line = this.proc.log().split('\n').filter((l) => l.includes('reg: ')).pop() ?? '';
      throw new LabError('LAB_REGISTER_FAILED', `phone ${this.user}: registration failed: ${line.replace(/\x1b\[[0-9;]*m/g, '').trim()}\n${this.context()}`);
    };
    await waitFor(
      async () => {
        if (this.ctrl.events.some((e) => e.type === 'REGISTER_OK')) return true;
        if (this.ctrl.events.some((e) => e.type === 'REGISTER_FAIL')) failed();
        const state = await this.registrationState(Math.max(200, deadline - Date.now())).catch(() => 'none' as const);
        if (state === 'error') failed();
        return state === 'ok';
      },
      { timeoutMs, intervalMs: 50, what: `phone ${this.user} REGISTER_OK`, context: () => this.context() },
    );
  }

  /**
   * Wait for an event of `type` (e.g. CALL_ESTABLISHED, CALL_CLOSED, CALL_INCOMING) at or after
   * index `since` in the event history (default 0: past events count too; take `mark()` before
   * dialling a second call).
   * While waiting for a call to progress (CALL_ESTABLISHED, CALL_RINGING, CALL_PROGRESS,
   * CALL_ANSWERED), a call that closes without ever being established fails the wait at once with
   * its reason (e.g. "404 Not Found") instead of a timeout. Only closes after `since` count when
   * `since` is given, otherwise only closes that arrive during the wait. `failOnClose: false`
   * turns this off.
   */
  async waitEvent(
    type: string,
    timeoutMs = 5000,
    opts: { since?: number; match?: (e: BaresipEvent) => boolean; failOnClose?: boolean } = {},
  ): Promise<BaresipEvent> {
    const failOnClose = opts.failOnClose ?? PROGRESS_EVENTS.includes(type);
    const firstLive = this.ctrl.events.length;
    const wanted = (e: BaresipEvent) => e.type === type && (!opts.match || opts.match(e));
    const failedSetup = (e: BaresipEvent, index: number) =>
      failOnClose &&
      e.type === 'CALL_CLOSED' &&
      (opts.since !== undefined || index >= firstLive) &&
      !this.ctrl.events.some((x) => x.type === 'CALL_ESTABLISHED' && x.id === e.id);
    const ev = await this.ctrl.waitEvent((e, i) => wanted(e) || failedSetup(e, i), timeoutMs, opts.since ?? 0);
    if (!ev) throw new LabError('LAB_TIMEOUT', `phone ${this.user}: no ${type} within ${timeoutMs} ms\n${this.context()}`);
    if (!wanted(ev)) {
      throw new LabError('LAB_CALL_CLOSED', `phone ${this.user}: call closed (${ev.param ?? 'no reason'}) while waiting for ${type}\n${this.context()}`);
    }
    return ev;
  }

  /** Index to pass as `since` to waitEvent so only later events count. */
  mark(): number {
    return this.ctrl.events.length;
  }

  async dial(uri: string): Promise<void> {
    const r = await this.ctrl.command('dial', uri);
    if (!r.ok) throw new LabError('LAB_CTRL', `phone ${this.user}: dial ${uri} refused: ${r.data}`);
  }

  async accept(): Promise<void> {
    const r = await this.ctrl.command('accept');
    if (!r.ok) throw new LabError('LAB_CTRL', `phone ${this.user}: accept refused: ${r.data}`);
  }

  async hangup(): Promise<void> {
    await this.ctrl.command('hangup');
  }

  /**
   * Send DTMF digits (0-9 * # A-D) on the current call, one `sndcode` per digit with a gap,
   * so every digit is a separate key press (RFC 4733 telephone-event; baresip 1.0.0 has no SIP INFO sending).
   */
  async sendDtmf(digits: string, gapMs = 200): Promise<void> {
    for (const d of digits) {
      if (!/^[0-9*#A-Da-d]$/.test(d)) throw new LabError('LAB_CTRL', `not a DTMF digit: '${d}'`);
      const r = await this.ctrl.command('sndcode', d);
      if (!r.ok) throw new LabError('LAB_CTRL', `phone ${this.user}: sndcode ${d} refused: ${r.data}\n${this.context()}`);
      await sleep(gapMs);
    }
  }

  /** Digits this phone received (CALL_DTMF_START events), in order. */
  receivedDtmf(): string {
    return this.ctrl.events.filter((e) => e.type === 'CALL_DTMF_START').map((e) => String(e.param ?? '')).join('');
  }

  /**
   * RTP counters of the last finished call, from the summary baresip logs at call end
   * ("packets: <tx> <rx>", "errors: <tx> <rx>"); undefined before any call ended.
   */
  lastCallRtpStats(): { txPackets: number; rxPackets: number; txErrors: number; rxErrors: number } | undefined {
    const log = this.proc.log();
    const at = log.lastIndexOf('Transmit:');
    if (at < 0) return undefined;
    const block = log.slice(at);
    const pk = /packets:\s+(\d+)\s+(\d+)/.exec(block);
    const er = /errors:\s+(\d+)\s+(\d+)/.exec(block);
    if (!pk) return undefined;
    return { txPackets: Number(pk[1]), rxPackets: Number(pk[2]), txErrors: Number(er?.[1] ?? 0), rxErrors: Number(er?.[2] ?? 0) };
  }

  /** All recordings in this phone's snd_path, oldest first. */
  recordings(kind: 'dec' | 'enc' = 'dec'): string[] {
    let names: string[];
    try {
      names = readdirSync(this.recordDir);
    } catch {
      return [];
    }
    return names
      .filter((n) => n.endsWith(`-${kind}.wav`))
      .map((n) => join(this.recordDir, n))
      .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs || a.localeCompare(b));
  }

  /**
   * Path of the newest -dec.wav (far-end audio as this phone decoded it). Waits (bounded)
   * for the file to appear and its size to settle, since sndfile finishes it at call close.
   */
  async lastRecording(kind: 'dec' | 'enc' = 'dec', timeoutMs = 3000): Promise<string> {
    let last = -1;
    return waitFor(
      () => {
        const files = this.recordings(kind);
        const f = files[files.length - 1];
        if (!f) return undefined;
        const size = statSync(f).size;
        const settled = size === last && size > 44;
        last = size;
        return settled ? f : undefined;
      },
      { timeoutMs, intervalMs: 60, what: `phone ${this.user} -${kind}.wav in ${this.recordDir}`, context: () => this.context() },
    );
  }

  async stop(): Promise<void> {
    this.ctrl.close();
    await this.proc.stop(4000);
  }
}

function phoneConfig(opts: PhoneOptions, ctx: PhoneContext): string {
  const p = ctx.ports;
  const source = opts.audioFile ? `aufile,${opts.audioFile}` : `ausine,${opts.tone ?? 1000}`;
  const lines = [
    'poll_method epoll',
    `sip_listen 127.0.0.1:${p.sip}`,
    'net_interface 127.0.0.1',
    'net_prefer_ipv6 no',
    `rtp_ports ${p.rtpMin}-${p.rtpMax}`,
    'rtcp_mux no',
    'rtp_stats yes',
    'jitter_buffer_delay 5-10',
    'audio_buffer 20-160',
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module g722.so',
    'module opus.so',
    opts.audioFile ? 'module aufile.so' : 'module ausine.so',
    'module sndfile.so',
    'module_tmp account.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    `audio_source ${source}`,
    `ctrl_tcp_listen 127.0.0.1:${p.ctrl}`,
    `snd_path ${join(ctx.dir, 'rec')}`,
    'statmode_default off',
    'ringback_disabled yes',
    'call_max_calls 4',
    'opus_bitrate 32000',
  ];
  if (ctx.tls) {
    // TLS server side of the phone (P+1) and the CA to verify kamailio with
    lines.push(`sip_certificate ${ctx.tls.pemPath}`, `sip_cafile ${ctx.tls.certPath}`);
  }
  if (opts.audioFile) {
    // aufile needs the WAV's own rate and channel count here (16-bit PCM only)
    const info = wavInfo(opts.audioFile);
    lines.push(`ausrc_srate ${info.sampleRate}`, `ausrc_channels ${info.channels}`);
  } else {
    lines.push('ausrc_srate 48000', 'ausrc_channels 2'); // ausine only makes 48 kHz stereo
  }
  return lines.join('\n') + '\n';
}

function accountLine(opts: PhoneOptions, ctx: PhoneContext): string {
  const mode = opts.answer === 'reject' || opts.answer === 'busy' ? 'manual' : (opts.answer ?? 'auto');
  const codecs = (opts.codecs ?? ['pcmu', 'pcma', 'g722', 'opus']).map((c) => CODEC_NAMES[c]).join(',');
  const transport = opts.transport ?? 'udp';
  if (transport === 'tls' && !ctx.tls) throw new LabError('LAB_CONFIG', `phone ${opts.user}: transport tls needs startLab({ tls: true })`);
  const port = transport === 'tls' && ctx.tls ? ctx.tls.port : ctx.registrarPort;
  const parts = [
    `<sip:${opts.user}@127.0.0.1:${port};transport=${transport}>`,
    `auth_pass=${opts.password ?? ctx.password}`,
    `answermode=${mode}`,
    `regint=${opts.register === false ? 0 : (opts.regint ?? 600)}`,
    `audio_codecs=${codecs}`,
    'ptime=20',
  ];
  let line = parts.join(';');
  if (opts.accountParams) line += opts.accountParams.startsWith(';') ? opts.accountParams : `;${opts.accountParams}`;
  return line;
}
