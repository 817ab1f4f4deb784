/**
 * An independent recomputation of the bench-jitter metrics from a trace CSV and a playout CSV
 * (`seq,play_ms`), written separately from daemon/media/bench-jitter.ts so a test can check the
 * bench's own numbers. Definitions: /work/shared/testdata/jitter/README.md (copied into the
 * fixtures' README).
 */

export interface Recomputed {
  frames: number;
  received: number;
  meanAddedMs: number;
  p95AddedMs: number;
  lateLossPct: number;
  concealPct: number;
  /** mean over 10 s windows of the smallest fixed delay above the window's fastest packet losing <= 1 % */
  oracleMs: number;
  /** the same over the whole trace */
  wholeOracleMs: number;
}

function csvRows(text: string, header: string): string[][] {
  const lines = text.trim().split('\n');
  if (lines[0].trim() !== header) throw new Error(`expected header ${header}`);
  return lines.slice(1).map((l) => l.trim().split(','));
}

/** smallest d such that at most floor(1 % of n) of the delays are > d */
function fixedDelayLosingOnePercent(delays: number[]): number {
  const sorted = delays.slice().sort((a, b) => b - a); // descending
  const mayLose = Math.floor(delays.length / 100);
  return sorted[mayLose];
}

export function recompute(traceCsv: string, playoutCsv: string): Recomputed {
  const trace = csvRows(traceCsv, 'seq,send_ms,arrival_ms');
  const plays = new Map<number, number>();
  for (const [seq, at] of csvRows(playoutCsv, 'seq,play_ms')) {
    if (plays.has(+seq)) throw new Error(`seq ${seq} played twice`);
    plays.set(+seq, +at);
  }
  let fastest = Infinity;
  const transit = new Map<number, number>();
  const send = new Map<number, number>();
  for (const [s, sendMs, arrival] of trace) {
    send.set(+s, +sendMs);
    if (arrival !== undefined && arrival !== '') {
      const t = +arrival - +sendMs;
      transit.set(+s, t);
      if (t < fastest) fastest = t;
    }
  }
  const added: number[] = [];
  let receivedPlayed = 0;
  for (const [s, at] of plays) {
    const sent = send.get(s);
    if (sent === undefined) throw new Error(`played seq ${s} is not in the trace`);
    added.push(at - sent - fastest);
    if (transit.has(s)) receivedPlayed++;
  }
  added.sort((a, b) => a - b);
  let sum = 0;
  for (const a of added) sum += a;
  const p95 = added[Math.ceil(added.length * 0.95) - 1];

  // per-window oracle: windows by send time
  const byWindow = new Map<number, number[]>();
  for (const [s, t] of transit) {
    const w = Math.floor(send.get(s)! / 10000);
    if (!byWindow.has(w)) byWindow.set(w, []);
    byWindow.get(w)!.push(t);
  }
  let oracleSum = 0;
  for (const ts of byWindow.values()) {
    const lo = Math.min(...ts);
    oracleSum += fixedDelayLosingOnePercent(ts.map((t) => t - lo));
  }
  const all = [...transit.values()];
  return {
    frames: trace.length,
    received: transit.size,
    meanAddedMs: sum / added.length,
    p95AddedMs: p95,
    lateLossPct: (100 * (transit.size - receivedPlayed)) / transit.size,
    concealPct: (100 * (trace.length - plays.size)) / trace.length,
    oracleMs: oracleSum / byWindow.size,
    wholeOracleMs: fixedDelayLosingOnePercent(all.map((t) => t - fastest)),
  };
}
