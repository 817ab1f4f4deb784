/**
 * `portier bench-jitter TRACE.csv...`: replays packet-delay traces through the real JitterBuffer on a
 * simulated clock and prints one JSON object per trace (metrics as defined in the jitter traces'
 * README: added delay above the trace's fastest packet, late loss, concealment, the hindsight oracle).
 *
 * Trace format: CSV `seq,send_ms,arrival_ms` (send_ms = 20 * seq; empty arrival = lost).
 * Replay: every packet is pushed at its arrival time; the receiver pulls one frame on a fixed tick at
 * multiples of 20 ms of the trace's clock (packets arriving at or before a tick are pushed first).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PortierError } from '../util/errors.js';
import { JitterBuffer, type JitterBufferOptions } from './jitter-buffer.js';
import type { MediaPacket } from './types.js';

export interface TraceRow {
  seq: number;
  sendMs: number;
  /** undefined: lost in the network */
  arrivalMs: number | undefined;
}

export interface ParseResult {
  ok: boolean;
  rows: TraceRow[];
  reason?: string;
}

/** Parses a trace CSV. Never throws: a bad line gives ok=false with the line number. */
export function parseTrace(text: string): ParseResult {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length || lines[0].replace(/\s/g, '') !== 'seq,send_ms,arrival_ms') {
    return { ok: false, rows: [], reason: 'header must be seq,send_ms,arrival_ms' };
  }
  const rows: TraceRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const [a, b, c] = lines[i].split(',');
    const seq = Number(a);
    const sendMs = Number(b);
    const arr = c === undefined || c.trim() === '' ? undefined : Number(c);
    if (!Number.isInteger(seq) || !Number.isFinite(sendMs) || (arr !== undefined && !Number.isFinite(arr))) {
      return { ok: false, rows: [], reason: `line ${i + 1}: expected seq,send_ms,arrival_ms` };
    }
    rows.push({ seq, sendMs, arrivalMs: arr });
  }
  return { ok: true, rows };
}

export interface ReplayResult {
  /** seq -> receiver tick (ms) at which it was played */
  playout: Map<number, number>;
  expandFrames: number;
  accelerateFrames: number;
}

export interface ReplayOptions {
  frameMs?: number;
  clockRate?: number;
  buffer?: Partial<JitterBufferOptions>;
}

// start the 16-bit sequence and 32-bit timestamp near their wrap so every replay crosses it
const SEQ_BASE = 65000;
const TS_BASE = 0xffff_0000;
const SSRC = 0x5eed1234;

/** Replays one trace through a JitterBuffer on a simulated clock. */
export function replayTrace(rows: TraceRow[], opts: ReplayOptions = {}): ReplayResult {
  const frameMs = opts.frameMs ?? 20;
  const clockRate = opts.clockRate ?? 8000;
  const jb = new JitterBuffer({ frameMs, clockRate, ...opts.buffer });
  const samplesPerMs = clockRate / 1000;
  const arrivals = rows
    .filter((r) => r.arrivalMs !== undefined)
    .sort((x, y) => x.arrivalMs! - y.arrivalMs! || x.seq - y.seq);
  const payload = new Uint8Array((frameMs * samplesPerMs) | 0);
  const playout = new Map<number, number>();
  const traceSeq = new Map<MediaPacket, number>();
  if (!arrivals.length) return { playout, expandFrames: 0, accelerateFrames: 0 };
  const lastArrival = arrivals[arrivals.length - 1].arrivalMs!;
  const endMs = lastArrival + 2000;
  let i = 0;
  for (let t = 0; t <= endMs; t += frameMs) {
    while (i < arrivals.length && arrivals[i].arrivalMs! <= t) {
      const r = arrivals[i++];
      const pkt: MediaPacket = {
        seq: (SEQ_BASE + r.seq) & 0xffff,
        timestamp: (TS_BASE + Math.round(r.sendMs * samplesPerMs)) >>> 0,
        ssrc: SSRC,
        marker: false,
        payloadType: 0,
        payload,
        arrivalMs: r.arrivalMs!,
      };
      traceSeq.set(pkt, r.seq);
      jb.push(pkt);
    }
    const a = jb.pull(t);
    if (a.kind === 'play') {
      const seq = traceSeq.get(a.packet);
      if (seq !== undefined && !playout.has(seq)) playout.set(seq, t);
    }
  }
  const s = jb.stats();
  return { playout, expandFrames: s.expandFrames, accelerateFrames: s.accelerateFrames };
}

export interface TraceMetrics {
  trace: string;
  frames: number;
  meanAddedMs: number;
  p95AddedMs: number;
  lateLossPct: number;
  concealPct: number;
  oracleMs: number;
  expandFrames: number;
  accelerateFrames: number;
}

/** nearest-rank percentile of an ascending array */
function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** smallest fixed delay above the fastest transit that loses at most 1 % of the given transits */
export function oracleDelay(transits: number[]): number {
  if (!transits.length) return NaN;
  const min = Math.min(...transits);
  const d = transits.map((x) => x - min).sort((a, b) => a - b);
  const allowed = Math.floor(0.01 * d.length);
  return d[d.length - 1 - allowed];
}

/** mean over 10 s windows (by send time) of the per-window oracle */
export function windowOracle(rows: TraceRow[], windowMs = 10_000): number {
  const windows = new Map<number, number[]>();
  for (const r of rows) {
    if (r.arrivalMs === undefined) continue;
    const w = Math.floor(r.sendMs / windowMs);
    let list = windows.get(w);
    if (!list) windows.set(w, (list = []));
    list.push(r.arrivalMs - r.sendMs);
  }
  const vals = [...windows.values()].map(oracleDelay);
  return vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : NaN;
}

const round = (x: number, d = 2): number => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);

export function computeMetrics(name: string, rows: TraceRow[], replay: ReplayResult): TraceMetrics {
  const received = rows.filter((r) => r.arrivalMs !== undefined);
  const minTransit = Math.min(...received.map((r) => r.arrivalMs! - r.sendMs));
  const added: number[] = [];
  let playedReceived = 0;
  for (const r of rows) {
    const t = replay.playout.get(r.seq);
    if (t === undefined) continue;
    added.push(t - r.sendMs - minTransit);
    if (r.arrivalMs !== undefined) playedReceived++;
  }
  added.sort((a, b) => a - b);
  const mean = added.length ? added.reduce((a, b) => a + b, 0) / added.length : NaN;
  return {
    trace: name,
    frames: rows.length,
    meanAddedMs: round(mean),
    p95AddedMs: round(percentile(added, 0.95)),
    lateLossPct: round(received.length ? (100 * (received.length - playedReceived)) / received.length : 0, 3),
    concealPct: round(rows.length ? (100 * (rows.length - added.length)) / rows.length : 0, 3),
    oracleMs: round(windowOracle(rows)),
    expandFrames: replay.expandFrames,
    accelerateFrames: replay.accelerateFrames,
  };
}

export interface BenchJitterOptions {
  /** also write DIR/<trace>.csv with `seq,play_ms` for every played frame */
  playoutDir?: string;
  /** jitter buffer options to try (tuning) */
  buffer?: Partial<JitterBufferOptions>;
}

/** Runs the benchmark; returns one JSON line per trace. Throws PortierError NOT_FOUND / BAD_REQUEST on unreadable or invalid files. */
export function runBenchJitter(files: string[], opts: BenchJitterOptions = {}): string[] {
  const out: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new PortierError('NOT_FOUND', `Cannot read trace ${file}; give a CSV file with seq,send_ms,arrival_ms.`, { cause: err });
    }
    const parsed = parseTrace(text);
    if (!parsed.ok) throw new PortierError('BAD_REQUEST', `Trace ${file} is not valid: ${parsed.reason}.`);
    const name = basename(file).replace(/\.csv$/i, '');
    const replay = replayTrace(parsed.rows, { buffer: opts.buffer });
    if (opts.playoutDir) {
      mkdirSync(opts.playoutDir, { recursive: true });
      const lines = ['seq,play_ms'];
      for (const seq of [...replay.playout.keys()].sort((a, b) => a - b)) lines.push(`${seq},${replay.playout.get(seq)}`);
      writeFileSync(join(opts.playoutDir, `${name}.csv`), lines.join('\n') + '\n');
    }
    out.push(JSON.stringify(computeMetrics(name, parsed.rows, replay)));
  }
  return out;
}
