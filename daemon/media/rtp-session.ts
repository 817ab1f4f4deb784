/**
 * RTP session state for one call leg (RFC 3550): the receive side (symmetric-RTP source latching,
 * extended sequence numbers per A.1, SSRC changes, unknown payload types, interarrival jitter per
 * A.8, loss, RTP timeout). The send side (SSRC, sequence, timestamp, marker) is in rtp-sender.ts.
 *
 * Pure: no sockets; time comes from the injected Clock (architecture rule 1).
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { TypedEmitter } from '../util/events.js';
import type { RtpPacket } from './rtp-packet.js';

export { RtpSender, type RtpSenderOptions, type RtpSenderStats } from './rtp-sender.js';

export interface NetAddress {
  address: string;
  port: number;
}

export interface RtpReceiverOptions {
  clock: Clock;
  /** payload type -> RTP clock rate; packets with other payload types are dropped and counted */
  payloadTypes: Map<number, number>;
  /** payload types that carry events (telephone-event): no jitter computation on them */
  eventPayloadTypes?: Set<number>;
  /** the address from the remote SDP (c= / m= port), if known */
  expected?: NetAddress;
  /** emit `rtpTimeout` after this long without an accepted packet; 0 disables */
  timeoutMs?: number;
  /**
   * A source other than the SDP address is latched only after this many packets in sequence
   * (same SSRC, consecutive sequence numbers); default 1 = the first packet latches.
   */
  learnPackets?: number;
}

export type RtpDropReason = 'bleed' | 'learning' | 'unknown-pt' | 'bad-seq';

export type RtpReceiveResult =
  | { accepted: true; extSeq: number; ssrcChanged: boolean }
  | { accepted: false; reason: RtpDropReason };

export interface RtpReceiveStats {
  latched: NetAddress | null;
  ssrc: number | null;
  packetsReceived: number;
  bytesReceived: number;
  /** packets the sequence tracker accepted as valid (RFC 3550 A.1 `received`) */
  validPackets: number;
  expected: number;
  /** cumulative lost, may be negative with duplicates (RFC 3550 6.4.1) */
  cumulativeLost: number;
  /** fraction lost over the whole call, 0..1 */
  lossRatio: number;
  /** interarrival jitter, RTP timestamp units and ms */
  jitter: number;
  jitterMs: number;
  extendedMaxSeq: number;
  cycles: number;
  bleed: number;
  /** packets from a not-yet-latched non-SDP source, dropped while learning it */
  learning: number;
  unknownPayloadType: number;
  badSeq: number;
  ssrcChanges: number;
  timeouts: number;
}

export interface ReceptionReport {
  ssrc: number;
  fractionLost: number; // 0..255 (8-bit fixed point)
  cumulativeLost: number;
  extendedMaxSeq: number;
  jitter: number;
}

export interface RtpReceiverEvents extends Record<string, unknown> {
  rtpTimeout: { silentMs: number };
  ssrcChange: { from: number; to: number };
  latched: NetAddress;
}

// RFC 3550 A.1 constants.
const RTP_SEQ_MOD = 1 << 16;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const MIN_SEQUENTIAL = 2;

/** RFC 3550 A.1 per-source sequence state. */
class SeqState {
  maxSeq = 0;
  cycles = 0;
  baseSeq = 0;
  badSeq = RTP_SEQ_MOD + 1;
  probation = MIN_SEQUENTIAL;
  received = 0;
  expectedPrior = 0;
  receivedPrior = 0;

  constructor(seq: number) {
    // RFC 3550 A.1: a new source starts in probation, max_seq = seq - 1.
    this.initSeq(seq);
    this.maxSeq = (seq - 1) & 0xffff;
    this.probation = MIN_SEQUENTIAL;
  }

  initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  /** RFC 3550 A.1 update_seq(); true when the packet counts as valid. */
  update(seq: number): boolean {
    const udelta = (seq - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    if (this.probation > 0) {
      // Packets must be in sequence while the source is on probation.
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.received++;
          return true;
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      return false;
    } else if (udelta < MAX_DROPOUT) {
      // in order, with permissible gap
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD; // wrapped
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // the sequence number made a very large jump
      if (seq === this.badSeq) {
        // Two sequential packets: assume the other side restarted without telling us.
        this.initSeq(seq);
      } else {
        this.badSeq = (seq + 1) & (RTP_SEQ_MOD - 1);
        return false;
      }
    } else {
      // duplicate or reordered packet
    }
    this.received++;
    return true;
  }

  get extendedMax(): number {
    return this.cycles + this.maxSeq;
  }

  get expected(): number {
    return this.extendedMax - this.baseSeq + 1;
  }
}

export class RtpReceiver extends TypedEmitter<RtpReceiverEvents> {
  private readonly clock: Clock;
  private payloadTypes: Map<number, number>;
  private readonly eventPts: Set<number>;
  private expectedAddr: NetAddress | undefined;
  private readonly timeoutMs: number;
  private latchedAddr: NetAddress | null = null;
  private readonly learnPackets: number;
  private candidate: { addr: NetAddress; ssrc: number; seq: number; count: number } | null = null;
  private ssrc: number | null = null;
  private seq: SeqState | null = null;
  private lastTransit: number | null = null;
  private jitter = 0; // RTP units, RFC 3550 A.8 (floating, reported rounded)
  private jitterRate = 8000;
  private lastArrival = 0;
  private timer: TimerHandle | undefined;
  private timedOut = false;
  private running = false;
  private counters = {
    packets: 0,
    bytes: 0,
    bleed: 0,
    learning: 0,
    unknownPt: 0,
    badSeq: 0,
    ssrcChanges: 0,
    timeouts: 0,
  };

  constructor(opts: RtpReceiverOptions) {
    super();
    this.clock = opts.clock;
    this.payloadTypes = new Map(opts.payloadTypes);
    this.eventPts = new Set(opts.eventPayloadTypes ?? []);
    this.expectedAddr = opts.expected;
    this.timeoutMs = opts.timeoutMs ?? 0;
    this.learnPackets = Math.max(1, opts.learnPackets ?? 1);
  }

  /** The latched source, or null before one is. */
  get latched(): NetAddress | null {
    return this.latchedAddr;
  }

  /** Arms the RTP timeout (counted from now). Safe to call twice. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.timedOut = false;
    this.lastArrival = this.clock.now();
    this.arm(this.timeoutMs);
  }

  stop(): void {
    this.running = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Re-INVITE: new remote address and/or payload types. A new address drops the latch. */
  update(opts: { expected?: NetAddress; payloadTypes?: Map<number, number>; eventPayloadTypes?: Set<number> }): void {
    if (opts.expected && !sameAddr(opts.expected, this.expectedAddr)) {
      this.expectedAddr = opts.expected;
      this.latchedAddr = null;
      this.candidate = null;
    }
    if (opts.payloadTypes) this.payloadTypes = new Map(opts.payloadTypes);
    if (opts.eventPayloadTypes) {
      this.eventPts.clear();
      for (const pt of opts.eventPayloadTypes) this.eventPts.add(pt);
    }
  }

  /**
   * Account one parsed packet from `from` that arrived at `arrivalMs` (media clock). Tells the
   * caller whether to pass it on (jitter buffer / DTMF) or drop it.
   */
  receive(pkt: RtpPacket, from: NetAddress, arrivalMs: number, size: number): RtpReceiveResult {
    // Symmetric RTP (RFC 4961): latch onto the first source we hear from (the SDP address at
    // once, another one - NAT - after `learnPackets` in sequence); once latched, RTP from anywhere
    // else is "RTP bleed" and dropped.
    if (this.latchedAddr === null) {
      if (!sameAddr(from, this.expectedAddr) && !this.learn(pkt, from)) return { accepted: false, reason: 'learning' };
      this.latchedAddr = { address: from.address, port: from.port };
      this.candidate = null;
      this.emit('latched', this.latchedAddr);
    } else if (!sameAddr(from, this.latchedAddr)) {
      this.counters.bleed++;
      return { accepted: false, reason: 'bleed' };
    }
    const rate = this.payloadTypes.get(pkt.payloadType);
    if (rate === undefined) {
      this.counters.unknownPt++;
      return { accepted: false, reason: 'unknown-pt' };
    }
    if (this.ssrc !== null && this.ssrc !== pkt.ssrc && this.eventPts.has(pkt.payloadType)) {
      // Some gateways send telephone-event under an SSRC of their own: take the events, but do
      // not let them reset the audio stream's tracking.
      this.counters.packets++;
      this.counters.bytes += size;
      this.noteArrival(arrivalMs);
      return { accepted: true, extSeq: pkt.seq, ssrcChanged: false };
    }
    let ssrcChanged = false;
    if (this.ssrc !== pkt.ssrc || this.seq === null) {
      if (this.ssrc !== null) {
        ssrcChanged = true;
        this.counters.ssrcChanges++;
        this.emit('ssrcChange', { from: this.ssrc, to: pkt.ssrc });
      }
      this.ssrc = pkt.ssrc;
      this.seq = new SeqState(pkt.seq);
      this.lastTransit = null;
      this.jitter = 0;
    }
    const seqState = this.seq;
    const inProbation = seqState.probation > 0;
    const valid = seqState.update(pkt.seq);
    // DEVIATION: RFC 3550 A.1 treats packets during probation as not yet valid; we still deliver
    // them (only the first packet of a stream is affected) so the first 20 ms of audio and a
    // DTMF start packet are not lost. A large sequence jump outside probation is dropped.
    if (!valid && !inProbation) {
      this.counters.badSeq++;
      return { accepted: false, reason: 'bad-seq' };
    }
    this.counters.packets++;
    this.counters.bytes += size;
    this.noteArrival(arrivalMs);
    if (!this.eventPts.has(pkt.payloadType)) this.updateJitter(pkt.timestamp, arrivalMs, rate);
    return { accepted: true, extSeq: seqState.cycles + pkt.seq, ssrcChanged };
  }

  /** Learning a non-SDP source: true once it sent `learnPackets` packets in sequence. */
  private learn(pkt: RtpPacket, from: NetAddress): boolean {
    const c = this.candidate;
    if (c && sameAddr(from, c.addr) && c.ssrc === pkt.ssrc && pkt.seq === ((c.seq + 1) & 0xffff)) {
      c.count++;
      c.seq = pkt.seq;
    } else {
      this.candidate = { addr: { address: from.address, port: from.port }, ssrc: pkt.ssrc, seq: pkt.seq, count: 1 };
    }
    if (this.candidate!.count >= this.learnPackets) return true;
    this.counters.learning++;
    return false;
  }

  /** RFC 3550 A.8 interarrival jitter. */
  private updateJitter(ts: number, arrivalMs: number, rate: number): void {
    if (rate !== this.jitterRate) {
      this.jitterRate = rate;
      this.lastTransit = null;
      this.jitter = 0;
    }
    const arrival = Math.floor((arrivalMs * rate) / 1000);
    const transit = (arrival - ts) | 0; // mod 2^32 difference, as signed
    if (this.lastTransit !== null) {
      const d = Math.abs((transit - this.lastTransit) | 0);
      this.jitter += (d - this.jitter) / 16;
    }
    this.lastTransit = transit;
  }

  private noteArrival(arrivalMs: number): void {
    this.lastArrival = arrivalMs;
    if (this.timedOut) {
      this.timedOut = false;
      if (this.running) this.arm(this.timeoutMs);
    }
  }

  private arm(ms: number): void {
    if (!this.running || this.timeoutMs <= 0) return;
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.checkTimeout(), Math.max(1, ms));
  }

  /** One timer, re-armed for the remainder, instead of a new timer per packet. */
  private checkTimeout(): void {
    this.timer = undefined;
    if (!this.running) return;
    const silent = this.clock.now() - this.lastArrival;
    if (silent >= this.timeoutMs) {
      this.timedOut = true;
      this.counters.timeouts++;
      this.emit('rtpTimeout', { silentMs: silent });
      return; // re-armed when the next packet arrives
    }
    this.arm(this.timeoutMs - silent);
  }

  /**
   * RFC 3550 6.4.1 / A.3 report block figures; advances the "prior" counters used for the
   * fraction lost, so call it once per RTCP report. Null before any packet.
   */
  receptionReport(): ReceptionReport | null {
    const s = this.seq;
    if (!s || this.ssrc === null) return null;
    const expected = s.expected;
    const lost = expected - s.received;
    const expectedInterval = expected - s.expectedPrior;
    s.expectedPrior = expected;
    const receivedInterval = s.received - s.receivedPrior;
    s.receivedPrior = s.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fraction = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval << 8) / expectedInterval);
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fraction),
      cumulativeLost: Math.max(-0x800000, Math.min(0x7fffff, lost)),
      extendedMaxSeq: s.extendedMax >>> 0,
      jitter: Math.round(this.jitter),
    };
  }

  stats(): RtpReceiveStats {
    const s = this.seq;
    const expected = s && s.probation === 0 ? s.expected : 0;
    const received = s ? s.received : 0;
    const lost = expected - received;
    return {
      latched: this.latchedAddr ? { ...this.latchedAddr } : null,
      ssrc: this.ssrc,
      packetsReceived: this.counters.packets,
      bytesReceived: this.counters.bytes,
      validPackets: received,
      expected,
      cumulativeLost: lost,
      lossRatio: expected > 0 ? Math.max(0, lost) / expected : 0,
      jitter: Math.round(this.jitter),
      jitterMs: (this.jitter * 1000) / this.jitterRate,
      extendedMaxSeq: s ? s.extendedMax : 0,
      cycles: s ? s.cycles / RTP_SEQ_MOD : 0,
      bleed: this.counters.bleed,
      learning: this.counters.learning,
      unknownPayloadType: this.counters.unknownPt,
      badSeq: this.counters.badSeq,
      ssrcChanges: this.counters.ssrcChanges,
      timeouts: this.counters.timeouts,
    };
  }
}

function sameAddr(a: NetAddress | undefined, b: NetAddress | undefined | null): boolean {
  return !!a && !!b && a.address === b.address && a.port === b.port;
}
