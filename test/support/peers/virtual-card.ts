/**
 * A virtual sound card for tests on machines without one (field guide audio part (a)):
 * a private user-mode PulseAudio with two null sinks,
 *   vspk  the speaker: whatever the program under test plays to ALSA `default` lands here;
 *         the test records it from `vspk.monitor`;
 *   vmic  the microphone: the test plays into it; ALSA `default` capture is `vmic.monitor`.
 * A keep-alive pacat streams silence into vspk for the card's lifetime, otherwise the monitor
 * loses the head of a new stream. Children see the card through `card.env`
 * (XDG_RUNTIME_DIR, HOME, PULSE_SERVER).
 */
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeerProcess, run, waitFor, LabError, sleep } from './proc.js';

export const CARD_RATE = 48000;

export interface VirtualCardOptions {
  /** State dir (default: a new temp dir, removed on stop unless keep). */
  dir?: string;
  maxLifetimeS?: number;
  keep?: boolean;
}

export interface CardRecording {
  path: string;
  /** Stop recording (SIGTERM) and return the samples captured so far (s16le mono 48 kHz). */
  stop(): Promise<Int16Array>;
}

const PA_FORMAT = ['--raw', '--format=s16le', `--rate=${CARD_RATE}`, '--channels=1'];

export class VirtualCard {
  readonly dir: string;
  readonly runtimeDir: string;
  readonly env: NodeJS.ProcessEnv;
  private readonly daemon: PeerProcess;
  private keepAlive: PeerProcess | undefined;
  private readonly children: PeerProcess[] = [];
  private readonly ownDir: boolean;
  private readonly keep: boolean;
  private n = 0;
  private stopped = false;

  private constructor(dir: string, ownDir: boolean, keep: boolean, daemon: PeerProcess, env: NodeJS.ProcessEnv) {
    this.dir = dir;
    this.runtimeDir = join(dir, 'runtime');
    this.ownDir = ownDir;
    this.keep = keep;
    this.daemon = daemon;
    this.env = env;
  }

  static async start(opts: VirtualCardOptions = {}): Promise<VirtualCard> {
    const ownDir = opts.dir === undefined;
    const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'portier-card-'));
    const runtime = join(dir, 'runtime');
    const home = join(dir, 'home');
    mkdirSync(runtime, { recursive: true });
    chmodSync(runtime, 0o700);
    mkdirSync(home, { recursive: true });
    writeFileSync(
      join(dir, 'card.pa'),
      [
        'load-module module-native-protocol-unix auth-anonymous=1',
        `load-module module-null-sink sink_name=vspk rate=${CARD_RATE} channels=1`,
        `load-module module-null-sink sink_name=vmic rate=${CARD_RATE} channels=1`,
        'set-default-sink vspk',
        'set-default-source vmic.monitor',
        '',
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      XDG_RUNTIME_DIR: runtime,
      HOME: home,
      PULSE_SERVER: `unix:${join(runtime, 'pulse', 'native')}`,
    };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const daemon = new PeerProcess({
      name: 'pulseaudio',
      cmd: 'pulseaudio',
      args: ['-n', '-F', join(dir, 'card.pa'), '--exit-idle-time=-1', '--daemonize=no', '--log-level=error', '--use-pid-file=no'],
      cwd: dir,
      env,
      logPath: join(dir, 'pulseaudio.log'),
      maxLifetimeS: opts.maxLifetimeS ?? 120,
      lineBuffered: false,
    });
    const card = new VirtualCard(dir, ownDir, opts.keep === true, daemon, env);
    try {
      await waitFor(
        async () => {
          if (!daemon.running) throw new LabError('LAB_PEER_EXITED', `pulseaudio exited (${daemon.code})\n${daemon.tail(20)}`);
          return (await run('pactl', ['info'], { env, timeoutMs: 2000 })).code === 0;
        },
        { timeoutMs: 5000, intervalMs: 30, what: 'pulseaudio (pactl info)', context: () => daemon.tail(20) },
      );
      card.keepAlive = card.spawn('pacat-keepalive', 'pacat', ['-d', 'vspk', ...PA_FORMAT, '--latency-msec=10', '/dev/zero'], opts.maxLifetimeS);
      await waitFor(
        async () => {
          if (!card.keepAlive?.running) throw new LabError('LAB_PEER_EXITED', `keep-alive pacat exited\n${card.keepAlive?.tail(10)}`);
          const r = await run('pactl', ['list', 'short', 'sink-inputs'], { env, timeoutMs: 2000 });
          return r.code === 0 && r.stdout.trim().length > 0;
        },
        { timeoutMs: 3000, intervalMs: 30, what: 'keep-alive stream on vspk' },
      );
    } catch (e) {
      await card.stop();
      throw e;
    }
    return card;
  }

  private spawn(name: string, cmd: string, args: string[], maxLifetimeS = 120): PeerProcess {
    const p = new PeerProcess({ name, cmd, args, cwd: this.dir, env: this.env, logPath: join(this.dir, `${name}-${this.n++}.log`), maxLifetimeS, lineBuffered: false });
    this.children.push(p);
    return p;
  }

  /** Play raw s16le mono 48 kHz into the microphone (vmic); resolves when pacat has finished. */
  async play(rawFile: string, timeoutMs = 30000): Promise<void> {
    const p = this.spawn('pacat-play', 'pacat', ['-d', 'vmic', ...PA_FORMAT, rawFile], Math.ceil(timeoutMs / 1000) + 5);
    const code = await Promise.race([p.exited, sleep(timeoutMs).then(() => 'timeout' as const)]);
    if (code === 'timeout') {
      await p.stop(500);
      throw new LabError('LAB_TIMEOUT', `pacat play of ${rawFile} did not finish within ${timeoutMs} ms`);
    }
    if (code !== 0) throw new LabError('LAB_AUDIO', `pacat play of ${rawFile} exited ${code}\n${p.tail(10)}`);
  }

  /** Play samples (mono, 48 kHz) into the microphone. */
  async playSamples(samples: Int16Array, timeoutMs = 30000): Promise<void> {
    const f = join(this.dir, `play-${this.n++}.raw`);
    writeFileSync(f, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
    await this.play(f, timeoutMs);
  }

  /**
   * Record a source as raw s16le mono 48 kHz: by default `vspk.monitor` (what was played to
   * ALSA default); `vmic.monitor` hears what the test plays into the microphone.
   */
  async record(source = 'vspk.monitor', maxSeconds = 60): Promise<CardRecording> {
    const path = join(this.dir, `rec-${this.n++}.raw`);
    const p = this.spawn('parec', 'parec', ['-d', source, ...PA_FORMAT, '--latency-msec=10', path], maxSeconds);
    await waitFor(
      async () => {
        if (!p.running) throw new LabError('LAB_AUDIO', `parec exited (${p.code})\n${p.tail(10)}`);
        const r = await run('pactl', ['list', 'short', 'source-outputs'], { env: this.env, timeoutMs: 2000 });
        return r.code === 0 && r.stdout.trim().length > 0;
      },
      { timeoutMs: 3000, intervalMs: 20, what: `parec on ${source}` },
    );
    return {
      path,
      stop: async () => {
        await p.stop(2000);
        return existsSync(path) ? rawToSamples(readFileSync(path)) : new Int16Array(0);
      },
    };
  }

  /** Stop every child, then PulseAudio; remove the temp dir unless asked to keep it. Safe twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.children.map((c) => c.stop(1000)));
    await this.daemon.stop(2000);
    if (this.ownDir && !this.keep) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Every pid still alive in the card's process groups. */
  livePids(): number[] {
    return [this.daemon, ...this.children].flatMap((p) => p.groupPids());
  }
}

export function rawToSamples(buf: Buffer): Int16Array {
  const n = Math.floor(buf.length / 2);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readInt16LE(i * 2);
  return out;
}

export function startVirtualCard(opts: VirtualCardOptions = {}): Promise<VirtualCard> {
  return VirtualCard.start(opts);
}
