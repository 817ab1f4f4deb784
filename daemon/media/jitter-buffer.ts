/**
 * Adaptive jitter buffer. Pure: no I/O, no clock of its own; the media clock calls pull(nowMs) once
 * per frame tick and the RTP session calls push() with each received packet.
 *
 * Model. Each packet has a relative transit r = arrivalMs - timestampMs (unknown constant offset).
 * The buffer keeps a playout timeline: `nextSeq` is the next frame to play and `nextTsMs` its media
 * time, so playing it at tick `now` gives it the offset P = now - nextTsMs; it is on time iff r <= P.
 * The estimator (jitter-estimator.ts) says which offset T covers the wanted quantile of recent r.
 * The timeline moves by whole frames:
 *  - expand (+1 frame): a tick is concealed without advancing: when the next frame has not arrived
 *    (wait for it rather than lose it: covers late packets, stalls and a rising base delay) or
 *    before a present frame when P is well under T;
 *  - accelerate (-1 frame): a missing frame is skipped for free when P is a frame above T; a
 *    received frame is dropped only when P stays above T + hysteresis for a while, rate-limited,
 *    preferring quiet frames when the caller gives `frameEnergy`;
 *  - a silence gap (DTX: timestamps jump, sequence numbers do not) re-anchors the timeline at T
 *    on the first packet of the talk spurt, which moves the delay for free.
 * Ideas from NetEq (relative delay quantile, expand/accelerate/merge decisions), PJMEDIA jbuf and
 * baresip's adaptive jbuf (drop when the level stays high); the code is our own.
 */
import { DelayEstimator, type DelayEstimatorOptions, defaultEstimatorOptions } from './jitter-estimator.js';
import { type JitterBufferOptions, type ResolvedJitterOptions, resolveJitterOptions } from './jitter-options.js';
import { seqDelta, Unwrapper } from './jitter-seq.js';
import type { JitterStats, MediaPacket, PlayoutAction } from './types.js';

export type { JitterBufferOptions } from './jitter-options.js';

interface Entry {
  ext: number;
  tsMs: number;
  packet: MediaPacket;
}

export class JitterBuffer {
  private readonly o: ResolvedJitterOptions;
  private readonly estimator: DelayEstimator;
  private readonly unwrap = new Unwrapper();
  private readonly entries = new Map<number, Entry>();
  private order: number[] = []; // ext seqs in the buffer, ascending
  private readonly seen = new Set<number>();
  private readonly seenRing: number[] = [];
  private ssrc: number | undefined;
  private candidate: MediaPacket | undefined; // probation for a jump (RFC 3550 A.1 idea)
  private started = false;
  private nextSeq = 0;
  private nextTsMs = 0;
  private pendingExpand = 0;
  private missingTicks = 0;
  private excessTicks = 0;
  private ticksSinceDrop = Number.MAX_SAFE_INTEGER;
  private ticksSinceExpand = Number.MAX_SAFE_INTEGER;
  private meanEnergy = NaN;
  private firstTransit = NaN;
  private readonly counters = {
    received: 0,
    played: 0,
    late: 0,
    duplicates: 0,
    concealed: 0,
    expandFrames: 0,
    accelerateFrames: 0,
    resets: 0,
  };

  constructor(opts: JitterBufferOptions) {
    this.o = resolveJitterOptions(opts);
    const est: DelayEstimatorOptions = {
      ...defaultEstimatorOptions,
      windowPackets: this.o.windowPackets,
      quantile: this.o.quantile,
    };
    this.estimator = new DelayEstimator(est);
  }

  /** Accept one received packet. Never throws; bad or stray packets are counted and dropped. */
  push(packet: MediaPacket): void {
    if (!packet || !Number.isFinite(packet.arrivalMs) || !Number.isFinite(packet.seq) || !Number.isFinite(packet.timestamp)) {
      return;
    }
    if (this.ssrc !== undefined && packet.ssrc !== this.ssrc) {
      // RFC 3550 8.2: a new SSRC is a new source with its own sequence and timing: start over.
      this.restart();
    }
    if (this.unwrap.isPrimed && this.isJump(packet)) {
      const c = this.candidate;
      if (c && seqDelta(packet.seq, c.seq) === 1 && !this.isTransitJumpBetween(c, packet)) {
        // two consecutive packets agree on the new numbering: it is a new stream (RFC 3550 A.1)
        this.restart();
        this.accept(c);
      } else {
        this.candidate = packet;
        return;
      }
    }
    this.candidate = undefined;
    this.accept(packet);
  }

  /**
   * The playout decision for the next frame, at media time `nowMs` (call once per frame; when the
   * media clock ticks slower than the frame rate, call it repeatedly in the same tick).
   */
  pull(nowMs: number): PlayoutAction {
    // Several pulls in one tick (ptime shorter than the tick) are decided at the tick's time: a
    // frame must have arrived by then, even if it starts playing a few ms later.
    if (!Number.isFinite(nowMs)) return { kind: 'silence' };
    this.ticksSinceDrop++;
    this.ticksSinceExpand++;
    if (!this.started && !this.tryStart(nowMs)) return { kind: 'silence' };
    const f = this.o.frameMs;
    let dropped = false;
    // every iteration returns or advances nextSeq; bounded by the buffer size
    for (let guard = 0; guard <= this.o.maxPackets + 2; guard++) {
      const T = this.target();
      const P = nowMs - this.nextTsMs;
      const c = this.order.length ? this.entries.get(this.order[0])! : undefined;
      if (c && c.ext === this.nextSeq) {
        const Pc = nowMs - c.tsMs;
        if (Pc < P - f / 2) {
          // Timestamps jumped ahead with no sequence gap: a silence (DTX) gap ended. Re-anchor the
          // timeline on this talk spurt at the target; the waited ticks were silence, not expand.
          if (Pc < T) return this.waitTick(false);
          this.pendingExpand = 0;
          return this.play(c);
        }
        if (Pc < T - f / 2 && Pc - this.base() < this.o.maxDelayMs && this.ticksSinceExpand >= this.o.expandIntervalTicks) {
          // preemptive expand: the delay is clearly under the target (rate-limited: one frame at a time)
          this.pendingExpand++;
          this.ticksSinceExpand = 0;
          return this.waitTick(true);
        }
        if (!dropped && this.shouldAccelerate(c, Pc, T)) {
          dropped = true;
          this.drop(c);
          this.counters.accelerateFrames++;
          this.ticksSinceDrop = 0;
          continue;
        }
        return this.play(c);
      }
      this.excessTicks = 0;
      if (c) {
        // frames nextSeq .. c.ext-1 are missing
        if (P - f >= T) {
          // above target: skip missing frames for free (they are lost, or too late to matter)
          const k = Math.max(1, Math.min(c.ext - this.nextSeq, Math.floor((P - T) / f)));
          for (let i = 0; i < k; i++) this.skipMissing();
          continue;
        }
        if (P < T && P - this.base() < this.o.maxDelayMs) {
          // under target: wait for it (reordered or late) instead of losing it
          this.pendingExpand++;
          return this.waitTick(true);
        }
        // at target: conceal the missing frame; hand over the next packet for FEC when it follows
        const next = c.ext === this.nextSeq + 1 ? c.packet : undefined;
        this.advance();
        return this.concealTick(next);
      }
      // nothing buffered: hold the timeline (late packet, stall, DTX or loss: the next packet tells)
      if (P - this.base() < this.o.maxDelayMs) this.pendingExpand++;
      return this.waitTick(true);
    }
    return this.waitTick(false);
  }

  stats(): JitterStats {
    const T = this.target();
    const base = this.base();
    return {
      targetDelayMs: Number.isFinite(T) && Number.isFinite(base) ? Math.max(0, T - base) : 0,
      depthFrames: this.order.length,
      ...this.counters,
    };
  }

  /** Drop everything buffered and the learnt timing (e.g. new media after a re-INVITE). Counters stay. */
  reset(): void {
    this.restart();
    this.ssrc = undefined;
  }

  // ---- push side -------------------------------------------------------------------------------

  private accept(packet: MediaPacket): void {
    this.ssrc = packet.ssrc;
    const { ext, extTs } = this.unwrap.extend(packet.seq, packet.timestamp);
    if (this.seen.has(ext)) {
      this.counters.duplicates++;
      return;
    }
    this.remember(ext);
    this.counters.received++;
    const tsMs = (extTs * 1000) / this.o.clockRate;
    const r = packet.arrivalMs - tsMs;
    if (!Number.isFinite(this.firstTransit)) this.firstTransit = r;
    this.estimator.add(r);
    if (this.started && ext < this.nextSeq) {
      this.counters.late++;
      return;
    }
    this.entries.set(ext, { ext, tsMs, packet });
    this.insertOrder(ext);
    while (this.order.length > this.o.maxPackets) {
      // bounded memory under a flood: the oldest frame is the least useful
      const oldest = this.entries.get(this.order[0])!;
      this.drop(oldest);
      this.counters.late++;
    }
  }

  private isJump(p: MediaPacket): boolean {
    const d = this.unwrap.peekSeqDelta(p.seq);
    if (d > this.o.maxSeqJump || d < -this.o.maxSeqJump) return true;
    const base = this.estimator.base();
    if (!Number.isFinite(base)) return false;
    const { extTs } = this.unwrap.peek(p.seq, p.timestamp);
    const r = p.arrivalMs - (extTs * 1000) / this.o.clockRate;
    return Math.abs(r - base) > this.o.maxTransitJumpMs;
  }

  private isTransitJumpBetween(a: MediaPacket, b: MediaPacket): boolean {
    const dts = ((b.timestamp - a.timestamp) >>> 0) > 0x8000_0000 ? -1 : (b.timestamp - a.timestamp) >>> 0;
    if (dts < 0) return true;
    const dr = b.arrivalMs - a.arrivalMs - (dts * 1000) / this.o.clockRate;
    return Math.abs(dr) > this.o.maxTransitJumpMs;
  }

  private remember(ext: number): void {
    this.seen.add(ext);
    this.seenRing.push(ext);
    if (this.seenRing.length > 512) this.seen.delete(this.seenRing.shift()!);
  }

  private insertOrder(ext: number): void {
    const a = this.order;
    let i = a.length;
    while (i > 0 && a[i - 1] > ext) i--;
    a.splice(i, 0, ext);
  }

  private restart(): void {
    if (this.unwrap.isPrimed) this.counters.resets++;
    this.entries.clear();
    this.order = [];
    this.seen.clear();
    this.seenRing.length = 0;
    this.unwrap.reset();
    this.estimator.clear();
    this.candidate = undefined;
    this.started = false;
    this.pendingExpand = 0;
    this.missingTicks = 0;
    this.excessTicks = 0;
    this.firstTransit = NaN;
  }

  // ---- pull side -------------------------------------------------------------------------------

  /** fastest recent relative transit */
  private base(): number {
    const b = this.estimator.base();
    return Number.isFinite(b) ? b : this.firstTransit;
  }

  /** wanted playout offset (relative-transit units) */
  private target(): number {
    const base = this.base();
    if (!Number.isFinite(base)) return NaN;
    let T = this.estimator.need();
    if (this.estimator.samples < WARMUP_PACKETS) T = Math.max(T, base + this.o.initialDelayMs);
    T = Math.max(T, base + this.o.minDelayMs);
    T = Math.min(T, base + this.o.maxDelayMs);
    return T;
  }

  private tryStart(nowMs: number): boolean {
    if (!this.order.length) return false;
    const c = this.entries.get(this.order[0])!;
    if (nowMs - c.tsMs < this.target()) return false;
    this.started = true;
    this.nextSeq = c.ext;
    this.nextTsMs = c.tsMs;
    return true;
  }

  private shouldAccelerate(c: Entry, Pc: number, T: number): boolean {
    const f = this.o.frameMs;
    const excess = Pc - T;
    if (excess - f < this.o.accelerateHysteresisMs) {
      this.excessTicks = 0;
      return false;
    }
    this.excessTicks++;
    if (!this.entries.has(c.ext + 1)) return false; // dropping would only open a gap
    if (excess > this.o.catchUpMs) {
      // far too much delay (a stall just released its burst): drop every tick, quiet frames first
      // unless the excess is extreme
      return excess > 3 * this.o.catchUpMs || this.isQuiet(c) || this.excessTicks >= this.o.accelerateForceTicks;
    }
    if (this.excessTicks < this.o.accelerateHoldTicks) return false;
    if (this.ticksSinceDrop < this.o.accelerateIntervalTicks) return false;
    return this.isQuiet(c) || this.excessTicks >= this.o.accelerateForceTicks;
  }

  private isQuiet(c: Entry): boolean {
    if (!this.o.frameEnergy) return true;
    const e = safeEnergy(this.o.frameEnergy, c.packet.payload);
    if (!Number.isFinite(this.meanEnergy)) return false;
    return e <= this.o.quietRatio * this.meanEnergy;
  }

  private play(c: Entry): PlayoutAction {
    this.drop(c);
    this.nextSeq = c.ext + 1;
    this.nextTsMs = c.tsMs + this.o.frameMs;
    this.counters.expandFrames += this.pendingExpand;
    this.pendingExpand = 0;
    this.missingTicks = 0;
    this.counters.played++;
    if (this.o.frameEnergy) {
      const e = safeEnergy(this.o.frameEnergy, c.packet.payload);
      this.meanEnergy = Number.isFinite(this.meanEnergy) ? 0.98 * this.meanEnergy + 0.02 * e : e;
    }
    return { kind: 'play', packet: c.packet };
  }

  private drop(c: Entry): void {
    this.entries.delete(c.ext);
    const i = this.order.indexOf(c.ext);
    if (i >= 0) this.order.splice(i, 1);
    if (c.ext === this.nextSeq) {
      this.nextSeq = c.ext + 1;
      this.nextTsMs = c.tsMs + this.o.frameMs;
    }
  }

  private skipMissing(): void {
    // a tick already waited for this frame stands for its concealment; otherwise it is a free
    // accelerate (the frame never arrived, so nothing received is lost)
    if (this.pendingExpand > 0) this.pendingExpand--;
    else this.counters.accelerateFrames++;
    this.advance();
  }

  private advance(): void {
    this.nextSeq++;
    this.nextTsMs += this.o.frameMs;
  }

  private waitTick(concealable: boolean): PlayoutAction {
    this.missingTicks++;
    if (!concealable || this.missingTicks > this.o.maxConcealTicks) return { kind: 'silence' };
    this.counters.concealed++;
    return { kind: 'conceal' };
  }

  private concealTick(next: MediaPacket | undefined): PlayoutAction {
    this.missingTicks++;
    this.counters.concealed++;
    return next ? { kind: 'conceal', next } : { kind: 'conceal' };
  }
}

const WARMUP_PACKETS = 50;

function safeEnergy(fn: (p: Uint8Array) => number, payload: Uint8Array): number {
  try {
    const e = fn(payload);
    return Number.isFinite(e) ? e : 0;
  } catch {
    return 0;
  }
}
