/**
 * ALSA audio through the alsa-utils tools (field guide audio-gpio-systemd (a)): capture is an
 * `arecord` child writing raw S16_LE mono to a pipe, playback an `aplay` child reading one. A child
 * process cannot take the daemon down with it (the npm `speaker` addon aborts the whole process
 * when there is no card), its "audio open error" is easy to classify, and a dead child is simply
 * started again with backoff.
 *
 * Driver specs: `alsa:default`, `alsa:plughw:1,0`, `alsa:sysdefault:CARD=Device` (everything after
 * the first colon is the ALSA device name).
 */
import type { ChildProcess } from 'node:child_process';
import { systemClock, type Clock } from '../../daemon/util/clock.js';
import { PortierError } from '../../daemon/util/errors.js';
import { TypedEmitter } from '../../daemon/util/events.js';
import { ChildSupervisor, type ChildExit } from '../child-supervisor.js';
import type { AudioCapture, AudioPlayback } from '../types.js';
import { SampleRing } from './alsa-ring.js';

export interface AlsaOptions {
  /** ALSA device name, e.g. "default" or "plughw:1,0" */
  device: string;
  sampleRate: number;
  clock?: Clock;
  /** environment for the child (e.g. PULSE_SERVER when ALSA default goes to PulseAudio) */
  env?: NodeJS.ProcessEnv;
  /** ALSA buffer and period in microseconds (arecord/aplay --buffer-time/--period-time) */
  bufferTimeUs?: number;
  periodTimeUs?: number;
  /** the tool to run (default arecord / aplay from PATH) */
  command?: string;
  startupGraceMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

export interface AlsaCaptureOptions extends AlsaOptions {
  /** how much captured audio may wait for the reader before the oldest is dropped (default 80 ms) */
  ringMs?: number;
}

export interface AlsaPlaybackOptions extends AlsaOptions {
  /** the most audio allowed to wait in front of the speaker before new frames are dropped (default 80 ms: the 40 ms start threshold plus two frames) */
  maxQueueMs?: number;
}

export interface AlsaEvents extends Record<string, unknown> {
  /** the child died; it is restarted after `restartInMs` */
  crash: { device: string; code: string; message: string; restartInMs: number };
  /** a stderr line from the tool (xrun reports, rate warnings) */
  warning: { device: string; line: string };
}

export interface AlsaCaptureStats {
  device: string;
  running: boolean;
  restarts: number;
  lastError?: string;
  lastErrorCode?: string;
  /** reads padded with silence */
  underruns: number;
  /** chunks that overflowed the ring (oldest samples dropped) */
  overruns: number;
  droppedSamples: number;
  paddedSamples: number;
  /** old samples dropped to keep capture latency near one period (after idle gaps and drift) */
  trimmedSamples: number;
  /** xruns arecord reported on stderr ("overrun!!!") */
  deviceXruns: number;
  /** audio waiting in the ring now, in ms */
  bufferedMs: number;
}

export interface AlsaPlaybackStats {
  device: string;
  running: boolean;
  restarts: number;
  lastError?: string;
  lastErrorCode?: string;
  /** times the speaker ran dry between frames (estimated from the write clock) */
  underruns: number;
  /** frames dropped because the child could not keep up */
  droppedFrames: number;
  droppedSamples: number;
  /** xruns aplay reported on stderr ("underrun!!!") */
  deviceXruns: number;
  /** measured audio queued in front of the speaker (pipe + ALSA buffer) now, in ms */
  latencyMs: number;
  /** mean and maximum of that measurement over all frames written since open */
  latencyAvgMs: number;
  latencyMaxMs: number;
}

const DEFAULT_BUFFER_US = 40_000;
const DEFAULT_PERIOD_US = 10_000;
/** a reader that paused this long (no call) gets only fresh audio on its next read */
const IDLE_GAP_MS = 200;
/** reads per latency check (50 × 20 ms = 1 s) */
const TRIM_WINDOW_READS = 50;

/** The tool's arguments (field guide: explicit buffer and period keep latency bounded). */
export function alsaArgs(o: AlsaOptions): string[] {
  return [
    '-q',
    '-D',
    o.device,
    '-t',
    'raw',
    '-f',
    'S16_LE',
    '-r',
    String(o.sampleRate),
    '-c',
    '1',
    `--buffer-time=${o.bufferTimeUs ?? DEFAULT_BUFFER_US}`,
    `--period-time=${o.periodTimeUs ?? DEFAULT_PERIOD_US}`,
  ];
}

/**
 * arecord/aplay print `<tool>: main:NNN: audio open error: <strerror>` and exit 1 when the device
 * cannot be opened. Busy → AUDIO_DEVICE_BUSY, everything else about opening → AUDIO_DEVICE_MISSING.
 */
export function classifyAlsaExit(tool: string, device: string, exit: ChildExit): PortierError | null {
  const text = exit.stderr;
  const open = /audio open error:\s*(.*)/.exec(text);
  const unknownPcm = /Unknown PCM (\S+)/.exec(text);
  if (open || unknownPcm) {
    const reason = (open?.[1] ?? `unknown PCM ${unknownPcm![1]}`).trim();
    if (/busy/i.test(reason)) {
      return new PortierError(
        'AUDIO_DEVICE_BUSY',
        `ALSA device "${device}" is busy (${tool}: ${reason}); another program is using it — stop it, or use a dmix/dsnoop or pulse device`,
      );
    }
    return new PortierError(
      'AUDIO_DEVICE_MISSING',
      `ALSA device "${device}" cannot be opened (${tool}: ${reason}); list devices with "portier audio-devices"`,
    );
  }
  if (/Sample format non available|Channels count non available|set params/i.test(text)) {
    const line = text.trim().split('\n').find((l) => /non available|set params/i.test(l)) ?? '';
    return new PortierError('HAL_DRIVER_ERROR', `ALSA device "${device}" refuses the format (${tool}: ${line.trim()}); try plughw:… instead of hw:…`);
  }
  return null;
}

function makeSupervisor(
  tool: 'arecord' | 'aplay',
  o: AlsaOptions,
  clock: Clock,
  emitter: TypedEmitter<AlsaEvents>,
  onStdout: ((chunk: Buffer) => void) | undefined,
  onStderrLine: (line: string) => void,
  onSpawn: (child: ChildProcess) => void,
): ChildSupervisor {
  return new ChildSupervisor({
    name: `${tool} on ALSA device "${o.device}"`,
    command: o.command ?? tool,
    args: () => alsaArgs(o),
    env: o.env,
    clock,
    // arecord: ends at its first data; aplay gives no sign of life, so the whole grace is waited
    startupGraceMs: o.startupGraceMs ?? (tool === 'arecord' ? 2000 : 500),
    backoffInitialMs: o.backoffInitialMs ?? 500,
    backoffMaxMs: o.backoffMaxMs ?? 10_000,
    classify: (exit) => classifyAlsaExit(tool, o.device, exit),
    onStdout,
    onStderrLine: (line) => {
      onStderrLine(line);
      emitter.emit('warning', { device: o.device, line });
    },
    onCrash: (err, restartInMs) => emitter.emit('crash', { device: o.device, code: err.code, message: err.message, restartInMs }),
    onSpawn,
  });
}

/** Microphone: an arecord child feeding a bounded ring; read() never blocks. */
export class AlsaCapture implements AudioCapture {
  readonly driver = 'alsa';
  readonly events = new TypedEmitter<AlsaEvents>();
  readonly sampleRate: number;
  private readonly ring: SampleRing;
  private readonly sup: ChildSupervisor;
  private deviceXruns = 0;
  private readonly clock: Clock;
  private readonly periodSamples: number;
  private lastReadAt: number | undefined;
  private windowMin = Infinity;
  private windowReads = 0;
  private trimmedSamples = 0;

  constructor(private readonly opts: AlsaCaptureOptions) {
    this.sampleRate = opts.sampleRate;
    this.clock = opts.clock ?? systemClock;
    this.periodSamples = Math.round((opts.sampleRate * (opts.periodTimeUs ?? DEFAULT_PERIOD_US)) / 1e6);
    this.ring = new SampleRing(Math.round((opts.sampleRate * (opts.ringMs ?? 80)) / 1000));
    this.sup = makeSupervisor(
      'arecord',
      opts,
      this.clock,
      this.events,
      (chunk) => {
        // while nobody reads (no call) the ring just keeps the newest audio: not an overrun
        const idle = this.lastReadAt === undefined || this.clock.now() - this.lastReadAt > IDLE_GAP_MS;
        const { overruns, droppedSamples } = this.ring;
        this.ring.pushBytes(chunk);
        if (idle) {
          this.ring.overruns = overruns;
          this.ring.droppedSamples = droppedSamples;
        }
      },
      (line) => {
        if (/overrun!!!/.test(line)) this.deviceXruns++;
      },
      () => this.ring.clear(),
    );
  }

  get device(): string {
    return this.opts.device;
  }

  /**
   * The next `samples` samples. Latency is kept near one ALSA period: after an idle gap (no call,
   * nobody reading) only the newest audio is kept, and when the ring never ran below a period
   * for a whole second, the surplus is dropped (the device clock runs a little faster than ours).
   */
  read(samples: number): Int16Array {
    const now = this.clock.now();
    const target = samples + this.periodSamples;
    if (this.lastReadAt === undefined || now - this.lastReadAt > IDLE_GAP_MS) {
      this.trimmedSamples += this.ring.trimTo(target);
      this.windowMin = Infinity;
      this.windowReads = 0;
    }
    this.lastReadAt = now;
    const out = this.ring.read(samples);
    this.windowMin = Math.min(this.windowMin, this.ring.available);
    if (++this.windowReads >= TRIM_WINDOW_READS) {
      if (this.windowMin > this.periodSamples) this.trimmedSamples += this.ring.trimTo(this.ring.available - (this.windowMin - this.periodSamples));
      this.windowMin = Infinity;
      this.windowReads = 0;
    }
    return out;
  }

  /** Starts arecord; a device that cannot be opened now is a clear error naming it. */
  async open(): Promise<void> {
    if (this.sup.running) return;
    await this.sup.start();
  }

  async close(): Promise<void> {
    await this.sup.stop();
    this.ring.clear();
  }

  stats(): AlsaCaptureStats {
    const s = this.sup.stats();
    return {
      device: this.opts.device,
      running: s.running,
      restarts: s.restarts,
      lastError: s.lastError,
      lastErrorCode: s.lastErrorCode,
      underruns: this.ring.underruns,
      overruns: this.ring.overruns,
      droppedSamples: this.ring.droppedSamples,
      paddedSamples: this.ring.paddedSamples,
      trimmedSamples: this.trimmedSamples,
      deviceXruns: this.deviceXruns,
      bufferedMs: (this.ring.available * 1000) / this.sampleRate,
    };
  }
}

/**
 * Speaker: an aplay child fed through its stdin. The queue in front of the speaker is measured
 * from the write clock: aplay starts the device once its ALSA buffer is full and then consumes
 * `sampleRate` samples a second, so queued = written − elapsed × rate since that start. A queue
 * above `maxQueueMs` drops the new frame; a queue that went negative was an underrun (aplay then
 * waits for a full buffer again, and so does the estimate).
 */
export class AlsaPlayback implements AudioPlayback {
  readonly driver = 'alsa';
  readonly events = new TypedEmitter<AlsaEvents>();
  readonly sampleRate: number;
  private readonly sup: ChildSupervisor;
  private readonly clock: Clock;
  private readonly startThreshold: number;
  private readonly maxQueue: number;
  private stdin: NodeJS.WritableStream | undefined;
  private written = 0; // samples since the device (re)started or is filling
  private startedAt: number | undefined; // when the device started consuming
  private lastUnderrunAt: number | undefined;
  private underruns = 0;
  private droppedFrames = 0;
  private droppedSamples = 0;
  private deviceXruns = 0;
  private latSum = 0;
  private latN = 0;
  private latMax = 0;
  private latNow = 0;

  constructor(private readonly opts: AlsaPlaybackOptions) {
    this.sampleRate = opts.sampleRate;
    this.clock = opts.clock ?? systemClock;
    this.startThreshold = Math.round((opts.sampleRate * (opts.bufferTimeUs ?? DEFAULT_BUFFER_US)) / 1e6);
    this.maxQueue = Math.round((opts.sampleRate * (opts.maxQueueMs ?? 80)) / 1000);
    this.sup = makeSupervisor(
      'aplay',
      opts,
      this.clock,
      this.events,
      undefined,
      (line) => {
        const m = /underrun!!!(?: \(at least ([\d.]+) ms long\))?/.exec(line);
        if (!m) return;
        this.deviceXruns++;
        // the device stood still that long while we kept writing: the queue is that much longer
        // (unless the write clock already saw this underrun and started over)
        const stalled = Number(m[1] ?? 0);
        const now = this.clock.now();
        const seen = this.lastUnderrunAt !== undefined && now - this.lastUnderrunAt < stalled + 200;
        if (this.startedAt !== undefined && stalled > 0 && !seen) this.startedAt += stalled;
      },
      (child) => {
        this.stdin = child.stdin ?? undefined;
        this.written = 0;
        this.startedAt = undefined;
      },
    );
  }

  get device(): string {
    return this.opts.device;
  }

  /** Audio queued in front of the speaker now, in samples (estimate from the write clock). */
  private queued(now: number): number {
    if (this.startedAt === undefined) return this.written;
    return this.written - ((now - this.startedAt) * this.sampleRate) / 1000;
  }

  write(pcm: Int16Array): void {
    const stdin = this.stdin;
    if (!stdin || !this.sup.running || pcm.length === 0) {
      this.droppedFrames++;
      this.droppedSamples += pcm.length;
      return;
    }
    const now = this.clock.now();
    let q = this.queued(now);
    if (q < 0) {
      // the device ran dry before this frame: it stops and refills to the start threshold
      this.underruns++;
      this.lastUnderrunAt = now;
      this.written = 0;
      this.startedAt = undefined;
      q = 0;
    }
    if (q + pcm.length > this.maxQueue) {
      this.droppedFrames++;
      this.droppedSamples += pcm.length;
      return;
    }
    const buf = Buffer.alloc(pcm.length * 2);
    for (let i = 0; i < pcm.length; i++) buf.writeInt16LE(pcm[i]!, i * 2);
    stdin.write(buf);
    this.written += pcm.length;
    if (this.startedAt === undefined && this.written >= this.startThreshold) {
      this.startedAt = now;
    }
    const lat = (Math.max(0, this.queued(now)) * 1000) / this.sampleRate;
    this.latNow = lat;
    this.latSum += lat;
    this.latN++;
    if (lat > this.latMax) this.latMax = lat;
  }

  async open(): Promise<void> {
    if (this.sup.running) return;
    await this.sup.start();
  }

  async close(): Promise<void> {
    this.stdin?.end(); // aplay plays what it has, then exits; SIGTERM if it takes longer
    await this.sup.stop(1000, 500);
    this.stdin = undefined;
  }

  stats(): AlsaPlaybackStats {
    const s = this.sup.stats();
    const now = this.clock.now();
    this.latNow = (Math.max(0, this.queued(now)) * 1000) / this.sampleRate;
    return {
      device: this.opts.device,
      running: s.running,
      restarts: s.restarts,
      lastError: s.lastError,
      lastErrorCode: s.lastErrorCode,
      underruns: this.underruns,
      droppedFrames: this.droppedFrames,
      droppedSamples: this.droppedSamples,
      deviceXruns: this.deviceXruns,
      latencyMs: this.latNow,
      latencyAvgMs: this.latN ? this.latSum / this.latN : 0,
      latencyMaxMs: this.latMax,
    };
  }
}
