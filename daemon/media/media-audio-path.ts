/**
 * The two PCM halves of a media session, decoupled from packet sizes by small FIFOs so the 20 ms
 * media tick works with any ptime (a peer sending 30 ms packets, our 40 ms ptime) and with
 * resamplers that return a varying number of samples per call:
 *   CapturePath: capture (device rate) -> resample -> whole codec frames of our ptime
 *   PlayoutPath: jitter buffer -> decode / FEC / conceal -> resample -> one tick of playback
 */
import type { AudioCapture, AudioPlayback, ConcealerLike, JitterBufferLike, ResamplerLike } from './media-session-types.js';
import type { AudioCodec } from './types.js';

export function samplesFor(rate: number, ms: number): number {
  return Math.round((rate * ms) / 1000);
}

/** A bounded FIFO of PCM samples. */
export class PcmFifo {
  private buf: Int16Array;
  private start = 0;
  private end = 0;
  /** samples dropped because the FIFO was full (oldest first) */
  overflow = 0;

  constructor(private readonly max: number) {
    this.buf = new Int16Array(Math.max(16, max));
  }

  get length(): number {
    return this.end - this.start;
  }

  push(pcm: Int16Array): void {
    let src = pcm;
    if (src.length > this.max) {
      this.overflow += src.length - this.max;
      src = src.subarray(src.length - this.max);
    }
    const excess = this.length + src.length - this.max;
    if (excess > 0) {
      this.overflow += excess;
      this.start += excess;
    }
    if (this.end + src.length > this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    this.buf.set(src, this.end);
    this.end += src.length;
  }

  /** Take exactly n samples (zero-padded if fewer are buffered). */
  take(n: number): Int16Array {
    const out = new Int16Array(n);
    const k = Math.min(n, this.length);
    out.set(this.buf.subarray(this.start, this.start + k));
    this.start += k;
    if (this.start === this.end) this.start = this.end = 0;
    return out;
  }

  clear(): void {
    this.start = this.end = 0;
  }
}

const LEVEL_ALPHA = 0.07; // ~300 ms time constant at 50 ticks/s

/** Exponentially smoothed mean square (for the level meters). */
export function meanSquare(prev: number, pcm: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i] * pcm[i];
  const ms = pcm.length ? sum / pcm.length : 0;
  return prev + (ms - prev) * LEVEL_ALPHA;
}

export function dbfs(ms: number): number {
  if (ms <= 0) return -100;
  return Math.max(-100, 10 * Math.log10(ms / (32768 * 32768)));
}

export class CapturePath {
  private readonly fifo: PcmFifo;
  private readonly frame: number;
  meanSquare = 0;

  constructor(
    private readonly codec: AudioCodec,
    ptimeMs: number,
    private readonly tickMs: number,
    private readonly capture: AudioCapture | null,
    private readonly resampler: ResamplerLike | null,
  ) {
    this.frame = samplesFor(codec.sampleRate, ptimeMs);
    // at most 200 ms (or three frames) of backlog
    this.fifo = new PcmFifo(Math.max(3 * this.frame, samplesFor(codec.sampleRate, 200)));
  }

  get overflow(): number {
    return this.fifo.overflow;
  }

  /** Pull one tick of capture (always, so the device queue never grows); returns whole frames ready to encode. */
  tick(): Int16Array[] {
    if (this.capture) {
      const raw = this.capture.read(samplesFor(this.capture.sampleRate, this.tickMs));
      this.fifo.push(this.resampler ? this.resampler.process(raw) : raw);
    } else {
      this.fifo.push(new Int16Array(samplesFor(this.codec.sampleRate, this.tickMs)));
    }
    const out: Int16Array[] = [];
    while (this.fifo.length >= this.frame) {
      const f = this.fifo.take(this.frame);
      this.meanSquare = meanSquare(this.meanSquare, f);
      out.push(f);
    }
    return out;
  }

  clear(): void {
    this.fifo.clear();
  }
}

export class PlayoutPath {
  private readonly fifo: PcmFifo;
  private readonly tickSamples: number;
  private readonly frame: number;
  private concealing = false;
  meanSquare = 0;

  constructor(
    private readonly codec: AudioCodec,
    recvPtimeMs: number,
    tickMs: number,
    private readonly jb: JitterBufferLike,
    private readonly concealer: ConcealerLike | null,
    private readonly playback: AudioPlayback | null,
    private readonly resampler: ResamplerLike | null,
  ) {
    this.tickSamples = samplesFor(codec.sampleRate, tickMs);
    this.frame = samplesFor(codec.sampleRate, recvPtimeMs);
    this.fifo = new PcmFifo(this.tickSamples + 4 * Math.max(this.frame, samplesFor(codec.sampleRate, 120)));
  }

  /** Play one tick: pull as many jitter-buffer frames as it takes to fill it. */
  tick(nowMs: number): void {
    for (let i = 0; i < 8 && this.fifo.length < this.tickSamples; i++) this.fifo.push(this.nextFrame(nowMs));
    const pcm = this.fifo.take(this.tickSamples);
    this.meanSquare = meanSquare(this.meanSquare, pcm);
    if (this.playback) this.playback.write(this.resampler ? this.resampler.process(pcm) : pcm);
  }

  private nextFrame(nowMs: number): Int16Array {
    const action = this.jb.pull(nowMs);
    const codec = this.codec;
    if (action.kind === 'play') {
      let pcm = codec.decode(action.packet.payload);
      if (this.concealer) {
        if (this.concealing && this.concealer.merge) pcm = this.concealer.merge(pcm);
        else this.concealer.remember(pcm);
      }
      this.concealing = false;
      return pcm;
    }
    if (action.kind === 'conceal') {
      // Opus in-band FEC first (the next packet carries the lost one), then the codec's PLC, then
      // waveform continuation (G.711/G.722).
      const fec = action.next && codec.decodeFec ? codec.decodeFec(action.next.payload, this.frame) : null;
      if (fec) return fec;
      if (codec.conceal) return codec.conceal(this.frame);
      if (this.concealer) {
        this.concealing = true;
        return this.concealer.conceal(this.frame);
      }
      return new Int16Array(this.frame);
    }
    // silence (nothing buffered for a while): a later good frame starts afresh
    if (this.concealing) this.concealer?.reset?.();
    this.concealing = false;
    return new Int16Array(this.frame);
  }
}
