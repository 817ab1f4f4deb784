/**
 * RTCP (RFC 3550 6): SR, RR, SDES CNAME and BYE, built and parsed as compound packets, plus a
 * small session that sends a report about every 5 s (6.2, randomised, no reconsideration) and
 * measures the round-trip time from LSR/DLSR (6.4.1).
 *
 * parseRtcp() never throws on garbage; it returns a reason so the caller can count it.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { TypedEmitter } from '../util/events.js';
import { readU32, writeU32 } from './rtp-packet.js';
import type { ReceptionReport } from './rtp-session.js';

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;

export interface ReportBlock extends ReceptionReport {
  /** middle 32 bits of the NTP timestamp of the last SR from this source (0 if none) */
  lsr: number;
  /** delay since that SR, 1/65536 s */
  dlsr: number;
}

export interface SenderInfo {
  ntpSec: number;
  ntpFrac: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export type RtcpPacket =
  | { type: 'sr'; ssrc: number; sender: SenderInfo; reports: ReportBlock[] }
  | { type: 'rr'; ssrc: number; reports: ReportBlock[] }
  | { type: 'sdes'; chunks: { ssrc: number; cname?: string }[] }
  | { type: 'bye'; ssrcs: number[]; reason?: string }
  | { type: 'other'; packetType: number };

export type RtcpParseError = 'too-short' | 'bad-version' | 'length-past-end' | 'bad-padding' | 'bad-report-count';

export type RtcpParseResult = { ok: true; packets: RtcpPacket[] } | { ok: false; reason: RtcpParseError };

/** Parse a compound RTCP packet (RFC 3550 6.1). */
export function parseRtcp(buf: Uint8Array): RtcpParseResult {
  if (buf.length < 8) return { ok: false, reason: 'too-short' };
  const packets: RtcpPacket[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 4 > buf.length) return { ok: false, reason: 'too-short' };
    const b0 = buf[off];
    if (b0 >> 6 !== 2) return { ok: false, reason: 'bad-version' };
    const count = b0 & 0x1f;
    const pt = buf[off + 1];
    const len = (((buf[off + 2] << 8) | buf[off + 3]) + 1) * 4;
    if (off + len > buf.length) return { ok: false, reason: 'length-past-end' };
    let end = off + len;
    if (b0 & 0x20) {
      // RFC 3550 6.4.1: padding only on the last packet of the compound.
      const pad = buf[end - 1];
      if (end !== buf.length || pad === 0 || pad > len - 4) return { ok: false, reason: 'bad-padding' };
      end -= pad;
    }
    const body = buf.subarray(off + 4, end);
    const parsed = parseOne(pt, count, body);
    if (!parsed) return { ok: false, reason: 'bad-report-count' };
    packets.push(parsed);
    off += len;
  }
  return { ok: true, packets };
}

function parseOne(pt: number, count: number, body: Uint8Array): RtcpPacket | null {
  switch (pt) {
    case RTCP_SR: {
      if (body.length < 24 + count * 24) return null;
      const sender: SenderInfo = {
        ntpSec: readU32(body, 4),
        ntpFrac: readU32(body, 8),
        rtpTimestamp: readU32(body, 12),
        packetCount: readU32(body, 16),
        octetCount: readU32(body, 20),
      };
      return { type: 'sr', ssrc: readU32(body, 0), sender, reports: parseBlocks(body, 24, count) };
    }
    case RTCP_RR:
      if (body.length < 4 + count * 24) return null;
      return { type: 'rr', ssrc: readU32(body, 0), reports: parseBlocks(body, 4, count) };
    case RTCP_SDES:
      return parseSdes(body, count);
    case RTCP_BYE: {
      if (body.length < count * 4) return null;
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(readU32(body, i * 4));
      let reason: string | undefined;
      const r = count * 4;
      if (body.length > r) {
        const n = body[r];
        if (r + 1 + n <= body.length) reason = new TextDecoder().decode(body.subarray(r + 1, r + 1 + n));
      }
      return { type: 'bye', ssrcs, reason };
    }
    default:
      return { type: 'other', packetType: pt };
  }
}

function parseBlocks(body: Uint8Array, off: number, count: number): ReportBlock[] {
  const out: ReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const o = off + i * 24;
    const lostWord = readU32(body, o + 4);
    let cum = lostWord & 0xffffff;
    if (cum & 0x800000) cum -= 0x1000000; // signed 24 bits
    out.push({
      ssrc: readU32(body, o),
      fractionLost: lostWord >>> 24,
      cumulativeLost: cum,
      extendedMaxSeq: readU32(body, o + 8),
      jitter: readU32(body, o + 12),
      lsr: readU32(body, o + 16),
      dlsr: readU32(body, o + 20),
    });
  }
  return out;
}

function parseSdes(body: Uint8Array, count: number): RtcpPacket | null {
  const chunks: { ssrc: number; cname?: string }[] = [];
  let off = 0;
  for (let i = 0; i < count; i++) {
    if (off + 4 > body.length) return null;
    const chunk: { ssrc: number; cname?: string } = { ssrc: readU32(body, off) };
    off += 4;
    // items until a null octet, then pad to the next 32-bit boundary (RFC 3550 6.5)
    for (;;) {
      if (off >= body.length) return null;
      const type = body[off];
      if (type === 0) break;
      if (off + 2 > body.length) return null;
      const n = body[off + 1];
      if (off + 2 + n > body.length) return null;
      if (type === 1) chunk.cname = new TextDecoder().decode(body.subarray(off + 2, off + 2 + n));
      off += 2 + n;
    }
    off = (off + 4) & ~3;
    chunks.push(chunk);
  }
  return { type: 'sdes', chunks };
}

// ---- building ----

function header(buf: Uint8Array, off: number, count: number, pt: number, lenBytes: number): void {
  buf[off] = 0x80 | (count & 0x1f);
  buf[off + 1] = pt;
  const words = lenBytes / 4 - 1;
  buf[off + 2] = (words >> 8) & 0xff;
  buf[off + 3] = words & 0xff;
}

function writeBlocks(buf: Uint8Array, off: number, reports: ReportBlock[]): void {
  for (const [i, r] of reports.entries()) {
    const o = off + i * 24;
    writeU32(buf, o, r.ssrc);
    writeU32(buf, o + 4, ((r.fractionLost & 0xff) << 24) | (r.cumulativeLost & 0xffffff));
    writeU32(buf, o + 8, r.extendedMaxSeq);
    writeU32(buf, o + 12, r.jitter);
    writeU32(buf, o + 16, r.lsr);
    writeU32(buf, o + 20, r.dlsr);
  }
}

export function buildSr(ssrc: number, sender: SenderInfo, reports: ReportBlock[] = []): Uint8Array {
  const rs = reports.slice(0, 31);
  const len = 28 + rs.length * 24;
  const buf = new Uint8Array(len);
  header(buf, 0, rs.length, RTCP_SR, len);
  writeU32(buf, 4, ssrc);
  writeU32(buf, 8, sender.ntpSec);
  writeU32(buf, 12, sender.ntpFrac);
  writeU32(buf, 16, sender.rtpTimestamp);
  writeU32(buf, 20, sender.packetCount);
  writeU32(buf, 24, sender.octetCount);
  writeBlocks(buf, 28, rs);
  return buf;
}

export function buildRr(ssrc: number, reports: ReportBlock[] = []): Uint8Array {
  const rs = reports.slice(0, 31);
  const len = 8 + rs.length * 24;
  const buf = new Uint8Array(len);
  header(buf, 0, rs.length, RTCP_RR, len);
  writeU32(buf, 4, ssrc);
  writeBlocks(buf, 8, rs);
  return buf;
}

export function buildSdes(ssrc: number, cname: string): Uint8Array {
  const text = new TextEncoder().encode(cname).subarray(0, 255);
  const itemsLen = 2 + text.length + 1; // CNAME item + null terminator
  const chunkLen = (4 + itemsLen + 3) & ~3;
  const len = 4 + chunkLen;
  const buf = new Uint8Array(len);
  header(buf, 0, 1, RTCP_SDES, len);
  writeU32(buf, 4, ssrc);
  buf[8] = 1; // CNAME
  buf[9] = text.length;
  buf.set(text, 10);
  return buf;
}

export function buildBye(ssrc: number, reason?: string): Uint8Array {
  const text = reason ? new TextEncoder().encode(reason).subarray(0, 255) : new Uint8Array(0);
  const body = 4 + (text.length ? 1 + text.length : 0);
  const len = 4 + ((body + 3) & ~3);
  const buf = new Uint8Array(len);
  header(buf, 0, 1, RTCP_BYE, len);
  writeU32(buf, 4, ssrc);
  if (text.length) {
    buf[8] = text.length;
    buf.set(text, 9);
  }
  return buf;
}

export function concatPackets(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

// ---- NTP time ----

const NTP_UNIX_OFFSET_S = 2208988800;

/** Wall-clock ms -> NTP seconds and fraction. */
export function msToNtp(ms: number): { sec: number; frac: number } {
  const totalSec = ms / 1000 + NTP_UNIX_OFFSET_S;
  const sec = Math.floor(totalSec);
  const frac = Math.floor((totalSec - sec) * 0x100000000);
  return { sec: sec >>> 0, frac: frac >>> 0 };
}

/** The middle 32 bits of an NTP timestamp (RFC 3550 6.4.1 LSR), units of 1/65536 s. */
export function ntpMiddle(sec: number, frac: number): number {
  return (((sec & 0xffff) << 16) | (frac >>> 16)) >>> 0;
}

/** RFC 3550 6.4.1: RTT = A - LSR - DLSR, all in 1/65536 s; null when the block has no LSR. */
export function roundTripMs(arrivalMiddle: number, lsr: number, dlsr: number): number | null {
  if (lsr === 0) return null;
  const rtt = (arrivalMiddle - lsr - dlsr) >>> 0;
  if (rtt > 0x7fffffff) return null; // negative: clocks disagree or a stale block
  return (rtt * 1000) / 65536;
}

// ---- session ----

export interface RtcpSessionOptions {
  clock: Clock;
  cname: string;
  /** the SSRC we send with */
  ssrc: number;
  send: (packet: Uint8Array) => void;
  /** reception figures for the remote source, or null before anything arrived */
  receptionReport: () => ReceptionReport | null;
  /** sender figures when we sent RTP since the last report (SR), else null (RR) */
  senderInfo: () => { rtpTimestamp: number; packetCount: number; octetCount: number } | null;
  /** RFC 3550 6.2: minimum interval, 5 s */
  intervalMs?: number;
  random?: () => number;
  /** wall-clock ms for NTP timestamps; default: Date.now() fixed at construction plus clock time */
  wallClockMs?: () => number;
}

export interface RtcpStats {
  sent: number;
  received: number;
  malformed: number;
  byeReceived: boolean;
  rttMs: number | null;
  /** what the far end reports about our stream */
  remoteFractionLost: number | null;
  remoteJitter: number | null;
  remoteCname: string | null;
}

export interface RtcpSessionEvents extends Record<string, unknown> {
  bye: { ssrc: number; reason?: string };
  rtt: { ms: number };
}

/** Compensation for the randomisation, RFC 3550 6.3.1 (e - 3/2). */
const COMPENSATION = 2.71828 - 1.5;

export class RtcpSession extends TypedEmitter<RtcpSessionEvents> {
  private readonly o: RtcpSessionOptions;
  private readonly rnd: () => number;
  private readonly wall: () => number;
  private timer: TimerHandle | undefined;
  private running = false;
  private lastSr: { middle: number; atMs: number } | null = null;
  private st: RtcpStats = {
    sent: 0,
    received: 0,
    malformed: 0,
    byeReceived: false,
    rttMs: null,
    remoteFractionLost: null,
    remoteJitter: null,
    remoteCname: null,
  };

  constructor(opts: RtcpSessionOptions) {
    super();
    this.o = opts;
    this.rnd = opts.random ?? Math.random;
    if (opts.wallClockMs) this.wall = opts.wallClockMs;
    else {
      const offset = Date.now() - opts.clock.now();
      this.wall = () => offset + opts.clock.now();
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // RFC 3550 6.2: the first report may go out after half the minimum interval.
    this.schedule((this.o.intervalMs ?? 5000) / 2);
  }

  /** Stops reporting; with `bye`, sends a final compound report + BYE (RFC 3550 6.6). */
  stop(bye?: { reason?: string }): void {
    if (!this.running) return;
    this.running = false;
    this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (bye) this.sendReport(buildBye(this.o.ssrc, bye.reason));
  }

  private schedule(baseMs: number): void {
    // RFC 3550 6.3.1: randomise to [0.5, 1.5] x interval, divided by e - 3/2.
    const ms = (baseMs * (0.5 + this.rnd())) / COMPENSATION;
    this.timer = this.o.clock.setTimeout(() => {
      if (!this.running) return;
      this.sendReport();
      this.schedule(this.o.intervalMs ?? 5000);
    }, ms);
  }

  /** Build and send one compound packet: SR or RR, SDES CNAME, optional extra (BYE). */
  sendReport(extra?: Uint8Array): void {
    const nowWall = this.wall();
    const blocks: ReportBlock[] = [];
    const rr = this.o.receptionReport();
    if (rr) {
      let lsr = 0;
      let dlsr = 0;
      if (this.lastSr) {
        lsr = this.lastSr.middle;
        dlsr = Math.max(0, Math.round(((this.o.clock.now() - this.lastSr.atMs) * 65536) / 1000)) >>> 0;
      }
      blocks.push({ ...rr, lsr, dlsr });
    }
    const si = this.o.senderInfo();
    let first: Uint8Array;
    if (si) {
      const ntp = msToNtp(nowWall);
      first = buildSr(this.o.ssrc, { ntpSec: ntp.sec, ntpFrac: ntp.frac, ...si }, blocks);
    } else {
      first = buildRr(this.o.ssrc, blocks);
    }
    const parts = [first, buildSdes(this.o.ssrc, this.o.cname)];
    if (extra) parts.push(extra);
    this.st.sent++;
    this.o.send(concatPackets(parts));
  }

  /** Feed one received RTCP datagram. Garbage is counted, never thrown. */
  receive(buf: Uint8Array): void {
    const res = parseRtcp(buf);
    if (!res.ok) {
      this.st.malformed++;
      return;
    }
    this.st.received++;
    const nowMs = this.o.clock.now();
    for (const p of res.packets) {
      if (p.type === 'sr') {
        this.lastSr = { middle: ntpMiddle(p.sender.ntpSec, p.sender.ntpFrac), atMs: nowMs };
        this.takeBlocks(p.reports);
      } else if (p.type === 'rr') {
        this.takeBlocks(p.reports);
      } else if (p.type === 'sdes') {
        const c = p.chunks.find((ch) => ch.cname !== undefined);
        if (c?.cname !== undefined) this.st.remoteCname = c.cname;
      } else if (p.type === 'bye') {
        this.st.byeReceived = true;
        this.emit('bye', { ssrc: p.ssrcs[0] ?? 0, reason: p.reason });
      }
    }
  }

  private takeBlocks(reports: ReportBlock[]): void {
    const mine = reports.find((r) => r.ssrc === this.o.ssrc);
    if (!mine) return;
    this.st.remoteFractionLost = mine.fractionLost / 256;
    this.st.remoteJitter = mine.jitter;
    const ntp = msToNtp(this.wall());
    const rtt = roundTripMs(ntpMiddle(ntp.sec, ntp.frac), mine.lsr, mine.dlsr);
    if (rtt !== null) {
      this.st.rttMs = rtt;
      this.emit('rtt', { ms: rtt });
    }
  }

  stats(): RtcpStats {
    return { ...this.st };
  }
}
