/**
 * Sequence-number and timestamp unwrapping for the jitter buffer (RFC 3550 5.1: 16-bit sequence
 * numbers and 32-bit timestamps wrap; A.1 extends them with a cycle count).
 */

/** signed distance from `ref` to `v` on a 16-bit circle, in [-32768, 32767] */
export function seqDelta(v: number, ref: number): number {
  return ((((v - ref) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

const TS_MOD = 0x1_0000_0000;
const TS_HALF = 0x8000_0000;

/** signed distance from `ref` to `v` on a 32-bit circle */
export function tsDelta(v: number, ref: number): number {
  let d = (v - ref) % TS_MOD;
  if (d < 0) d += TS_MOD;
  return d >= TS_HALF ? d - TS_MOD : d;
}

/**
 * Extends 16-bit sequence numbers and 32-bit timestamps to unbounded integers relative to the
 * first packet of a stream (which gets extended seq 0 and extended timestamp 0).
 */
export class Unwrapper {
  private refSeq = 0; // last 16-bit seq of the reference packet
  private refTs = 0; // its 32-bit timestamp
  private refExtSeq = 0;
  private refExtTs = 0;
  private primed = false;

  get isPrimed(): boolean {
    return this.primed;
  }

  /** distance of `seq` from the newest packet so far (without changing state) */
  peekSeqDelta(seq: number): number {
    return this.primed ? seqDelta(seq, this.refSeq) : 0;
  }

  /** what extend() would return, without moving the reference */
  peek(seq: number, timestamp: number): { ext: number; extTs: number } {
    if (!this.primed) return { ext: 0, extTs: 0 };
    return {
      ext: this.refExtSeq + seqDelta(seq, this.refSeq),
      extTs: this.refExtTs + tsDelta(timestamp >>> 0, this.refTs),
    };
  }

  /** extended seq and timestamp of a packet; the reference moves forward with the newest packet */
  extend(seq: number, timestamp: number): { ext: number; extTs: number } {
    if (!this.primed) {
      this.primed = true;
      this.refSeq = seq & 0xffff;
      this.refTs = timestamp >>> 0;
      return { ext: 0, extTs: 0 };
    }
    const ext = this.refExtSeq + seqDelta(seq, this.refSeq);
    const extTs = this.refExtTs + tsDelta(timestamp >>> 0, this.refTs);
    if (ext > this.refExtSeq) {
      this.refSeq = seq & 0xffff;
      this.refTs = timestamp >>> 0;
      this.refExtSeq = ext;
      this.refExtTs = extTs;
    }
    return { ext, extTs };
  }

  reset(): void {
    this.primed = false;
    this.refSeq = this.refTs = this.refExtSeq = this.refExtTs = 0;
  }
}
