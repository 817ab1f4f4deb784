/**
 * Options of the jitter buffer and their defaults (tuned with `portier bench-jitter` on the shared
 * and generated traces; see scripts/bench/jitter-traces/README.md).
 */
import { defaultEstimatorOptions } from './jitter-estimator.js';

export interface JitterBufferOptions {
  /** frame duration, ms (one packet = one frame) */
  frameMs: number;
  /** RTP timestamp clock rate, Hz */
  clockRate: number;
  /** least delay above the fastest recent packet, ms (default 0) */
  minDelayMs?: number;
  /** most delay above the fastest recent packet, ms (default 1000) */
  maxDelayMs?: number;
  /** least delay while fewer than 50 packets have been seen, ms above the fastest (default 0) */
  initialDelayMs?: number;
  /** packets held at most; the oldest is discarded beyond (default maxDelayMs/frameMs + 10) */
  maxPackets?: number;
  /** fraction of packets the target aims to have on time (default 0.99) */
  quantile?: number;
  /** packets the delay estimator remembers (default 3000 = 60 s of 20 ms frames) */
  windowPackets?: number;
  /** hysteresis before a received frame is dropped to lower the delay, ms (default 10) */
  accelerateHysteresisMs?: number;
  /** ticks the delay must stay too high before a received frame is dropped (default 25) */
  accelerateHoldTicks?: number;
  /** ticks between two dropped received frames (default 5) */
  accelerateIntervalTicks?: number;
  /** delay excess above the target beyond which frames are dropped every tick, ms (default 40) */
  catchUpMs?: number;
  /** ticks of waiting for a quiet frame before a loud one is dropped anyway (default 100) */
  accelerateForceTicks?: number;
  /** ticks between two expands inserted before a frame that is present (default 3) */
  expandIntervalTicks?: number;
  /** mean-square energy of a payload; lets accelerate pick quiet frames (G.711: cheap) */
  frameEnergy?: (payload: Uint8Array) => number;
  /** a frame is quiet when its energy is under this fraction of the running mean (default 0.1) */
  quietRatio?: number;
  /** consecutive concealed ticks reported as `conceal` before `silence` (default 5) */
  maxConcealTicks?: number;
  /** a sequence jump beyond this (frames, either way) is a new stream after one more packet (default 100) */
  maxSeqJump?: number;
  /** a transit change beyond this means the sender restarted its timestamps (default 3000 ms) */
  maxTransitJumpMs?: number;
}

export type ResolvedJitterOptions = Required<Omit<JitterBufferOptions, 'frameEnergy'>> &
  Pick<JitterBufferOptions, 'frameEnergy'>;

export function resolveJitterOptions(opts: JitterBufferOptions): ResolvedJitterOptions {
  const frameMs = opts.frameMs > 0 ? opts.frameMs : 20;
  const maxDelayMs = opts.maxDelayMs ?? 1000;
  return {
    frameMs,
    clockRate: opts.clockRate > 0 ? opts.clockRate : 8000,
    minDelayMs: opts.minDelayMs ?? 0,
    maxDelayMs,
    initialDelayMs: opts.initialDelayMs ?? 0,
    maxPackets: opts.maxPackets ?? Math.ceil(maxDelayMs / frameMs) + 10,
    quantile: opts.quantile ?? defaultEstimatorOptions.quantile,
    windowPackets: opts.windowPackets ?? defaultEstimatorOptions.windowPackets,
    accelerateHysteresisMs: opts.accelerateHysteresisMs ?? 10,
    accelerateHoldTicks: opts.accelerateHoldTicks ?? 25,
    accelerateIntervalTicks: opts.accelerateIntervalTicks ?? 5,
    catchUpMs: opts.catchUpMs ?? 40,
    accelerateForceTicks: opts.accelerateForceTicks ?? 100,
    expandIntervalTicks: opts.expandIntervalTicks ?? 3,
    frameEnergy: opts.frameEnergy,
    quietRatio: opts.quietRatio ?? 0.1,
    maxConcealTicks: opts.maxConcealTicks ?? 5,
    maxSeqJump: opts.maxSeqJump ?? 100,
    maxTransitJumpMs: opts.maxTransitJumpMs ?? 3000,
  };
}
