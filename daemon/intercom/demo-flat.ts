/**
 * The embedded demo "flat": a second user agent in the same process, on loopback, that plays the
 * resident's phone. It answers after a delay, sends a tone, records what it hears (the last call is
 * written to <state_dir>/demo-flat-heard.wav), and keys DTMF on request — so the Quick start shows
 * ring, talk and open-the-door without a PBX or a phone.
 */
import { join } from 'node:path';
import { ToneCapture } from '../../hal/audio/sim.js';
import { MediaClock } from '../media/media-clock.js';
import { PortAllocator } from '../media/rtp-socket.js';
import type { CodecName } from '../media/types.js';
import { writeWavFile } from '../util/pcm/wav.js';
import { UdpTransport } from '../sip/transport-udp.js';
import { UserAgent, type IncomingCall } from '../sip/user-agent.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { PortierError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { CallMedia } from './call-media.js';

export interface DemoFlatOptions {
  clock: Clock;
  log: Logger;
  answerMs: number;
  toneHz: number;
  codecs: readonly CodecName[];
  rtpPorts: string;
  stateDir: string;
  sampleRate?: number;
  /** the daemon's shared media clock; without one the flat runs its own */
  mediaClock?: MediaClock;
}

/** Keeps the last `seconds` of what the flat heard. */
class Recorder {
  private chunks: Int16Array[] = [];
  private total = 0;
  constructor(
    readonly sampleRate: number,
    private readonly seconds = 30,
  ) {}
  write(pcm: Int16Array): void {
    this.chunks.push(pcm.slice());
    this.total += pcm.length;
    while (this.total > this.sampleRate * this.seconds && this.chunks.length > 1) this.total -= this.chunks.shift()!.length;
  }
  take(): Int16Array {
    const out = new Int16Array(this.total);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    this.chunks = [];
    this.total = 0;
    return out;
  }
}

export class DemoFlat {
  private call: IncomingCall | null = null;
  private media: CallMedia | null = null;
  private answerTimer: TimerHandle | undefined;
  private readonly recorder: Recorder;
  readonly recordingPath: string;

  private constructor(
    private readonly opts: DemoFlatOptions,
    private readonly ua: UserAgent,
    private readonly transport: UdpTransport,
    private readonly mediaClock: MediaClock,
    private readonly allocator: PortAllocator,
  ) {
    this.recorder = new Recorder(opts.sampleRate ?? 16000);
    this.recordingPath = join(opts.stateDir, 'demo-flat-heard.wav');
    ua.on('incoming', (call) => this.onIncoming(call));
  }

  static async start(opts: DemoFlatOptions): Promise<DemoFlat> {
    const transport = await new UdpTransport({ address: '127.0.0.1', port: 0 }).listen();
    const ua = new UserAgent({
      transports: [transport],
      clock: opts.clock,
      config: { user: 'flat', domain: '127.0.0.1', transport: 'udp', expires: 0, allowDirectCalls: true, displayName: 'Demo flat' },
    });
    await ua.start();
    // the flat's own RTP ports: the top of the door's range, so the two never collide
    const [lo, hi] = opts.rtpPorts.split('-').map(Number);
    const mid = lo + 2 * Math.floor((hi - lo) / 4);
    const allocator = new PortAllocator(`${mid}-${hi}`);
    return new DemoFlat(opts, ua, transport, opts.mediaClock ?? new MediaClock({ clock: opts.clock, intervalMs: 20 }), allocator);
  }

  /** The URI the door's buttons call. */
  get uri(): string {
    return `sip:flat@127.0.0.1:${this.transport.local.port}`;
  }

  get state(): string {
    return this.call ? (this.media ? 'talking' : 'ringing') : 'idle';
  }

  private onIncoming(call: IncomingCall): void {
    if (this.call) {
      call.reject(486, 'Busy Here');
      return;
    }
    this.call = call;
    call.ring();
    this.opts.log.info({ from: call.from.uri.user }, 'demo flat: ringing');
    call.on('ended', () => void this.finish());
    this.answerTimer = this.opts.clock.setTimeout(() => void this.answer(call), this.opts.answerMs);
  }

  private async answer(call: IncomingCall): Promise<void> {
    if (this.call !== call) return;
    const rate = this.recorder.sampleRate;
    const media = await CallMedia.open({
      allocator: this.allocator,
      bindAddress: '127.0.0.1',
      sdpAddress: '127.0.0.1',
      codecs: this.opts.codecs,
      clock: this.opts.clock,
      mediaClock: this.mediaClock,
      capture: new ToneCapture(rate, this.opts.toneHz, -12),
      playback: { sampleRate: rate, write: (pcm) => this.recorder.write(pcm) },
      rtpTimeoutMs: 0,
    });
    if (this.call !== call) {
      media.close();
      return;
    }
    const r = media.answerOffer(call.offer);
    if (!r.ok) {
      media.close();
      call.reject(r.status);
      return;
    }
    this.media = media;
    call.accept(r.sdp!);
    this.opts.log.info({ codec: media.negotiated?.codec }, 'demo flat: answered');
  }

  /** Key digits into the call as RFC 4733 events. */
  sendDtmf(digits: string): void {
    if (!this.media) throw new PortierError('BAD_REQUEST', 'the demo flat is not in a call: press the door button first and wait until it answers');
    const r = this.media.sendDigits(digits);
    if (!r.ok) throw new PortierError('BAD_REQUEST', `cannot send DTMF: ${r.reason}`);
  }

  private async finish(): Promise<void> {
    this.opts.clock.clearTimeout(this.answerTimer);
    this.media?.close();
    const hadMedia = this.media !== null;
    this.media = null;
    this.call = null;
    if (hadMedia) {
      try {
        await writeWavFile(this.recordingPath, this.recorder.take(), this.recorder.sampleRate);
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'demo flat: cannot save its recording');
      }
    }
  }

  async close(): Promise<void> {
    this.opts.clock.clearTimeout(this.answerTimer);
    this.media?.close();
    if (!this.opts.mediaClock) this.mediaClock.stop(); // a shared clock belongs to the daemon
    await this.ua.close();
  }
}
