import type { JitterBuffer } from '../../../daemon/media/jitter-buffer.js';
import type { MediaPacket, PlayoutAction } from '../../../daemon/media/types.js';

export const FRAME = 20;
export const RATE = 8000;
export const SPF = 160; // samples (timestamp units) per 20 ms frame at 8 kHz

export function pkt(
  seq: number,
  arrivalMs: number,
  o: { ts?: number; ssrc?: number; payload?: Uint8Array } = {},
): MediaPacket {
  return {
    seq: seq & 0xffff,
    timestamp: (o.ts ?? seq * SPF) >>> 0,
    ssrc: o.ssrc ?? 0x1111,
    marker: false,
    payloadType: 0,
    payload: o.payload ?? new Uint8Array(SPF),
    arrivalMs,
  };
}

export interface Tick {
  t: number;
  action: PlayoutAction;
}

/**
 * Drives a buffer on a 20 ms tick from `from` to `to` (inclusive): packets whose arrival is at or
 * before a tick are pushed before that tick's pull. Packets must be given sorted by arrival.
 */
export function drive(jb: JitterBuffer, packets: MediaPacket[], from: number, to: number): Tick[] {
  const sorted = [...packets].sort((a, b) => a.arrivalMs - b.arrivalMs);
  const ticks: Tick[] = [];
  let i = 0;
  for (let t = from; t <= to; t += FRAME) {
    while (i < sorted.length && sorted[i].arrivalMs <= t) jb.push(sorted[i++]);
    ticks.push({ t, action: jb.pull(t) });
  }
  return ticks;
}

export function playedSeqs(ticks: Tick[]): number[] {
  return ticks.flatMap((x) => (x.action.kind === 'play' ? [x.action.packet.seq] : []));
}

/** a steady stream: seq i sent at i*20 ms arrives after `transit(i)` ms (undefined = lost) */
export function stream(
  first: number,
  count: number,
  transit: (i: number) => number | undefined,
  o: { ssrc?: number; tsBase?: number; seqBase?: number } = {},
): MediaPacket[] {
  const out: MediaPacket[] = [];
  for (let i = first; i < first + count; i++) {
    const d = transit(i);
    if (d === undefined) continue;
    out.push(pkt((o.seqBase ?? 0) + i, i * FRAME + d, { ssrc: o.ssrc, ts: (o.tsBase ?? 0) + i * SPF }));
  }
  return out;
}

/** deterministic PRNG for test jitter */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** conceal actions up to the last played frame (the tail after the stream ends is not counted) */
export function concealsBeforeEnd(ticks: Tick[]): Tick[] {
  let last = -1;
  ticks.forEach((x, i) => {
    if (x.action.kind === 'play') last = i;
  });
  return ticks.slice(0, last + 1).filter((x) => x.action.kind === 'conceal');
}

/** the tick at which a sequence number was played */
export function playTime(ticks: Tick[], seq: number): number | undefined {
  return ticks.find((x) => x.action.kind === 'play' && x.action.packet.seq === seq)?.t;
}
