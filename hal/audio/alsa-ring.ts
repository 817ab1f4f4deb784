/**
 * A bounded ring of 16-bit samples between a producer that arrives in bursts (arecord's stdout)
 * and a consumer that pulls fixed frames (the media tick). Overflow drops the oldest samples,
 * a short read pads with silence; both are counted.
 */
export class SampleRing {
  private readonly buf: Int16Array;
  private head = 0; // next sample to read
  private size = 0;
  private oddByte: number | undefined;
  /** reads that found fewer samples than asked (padded with silence) */
  underruns = 0;
  /** writes that did not fit (the oldest samples were dropped) */
  overruns = 0;
  droppedSamples = 0;
  paddedSamples = 0;

  constructor(readonly capacity: number) {
    this.buf = new Int16Array(Math.max(1, capacity));
  }

  get available(): number {
    return this.size;
  }

  /** Appends little-endian S16 bytes; an odd trailing byte is kept for the next chunk. */
  pushBytes(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.length;
    if (this.oddByte !== undefined && n > 0) {
      this.pushSample(((chunk[0]! << 8) | this.oddByte) << 16 >> 16);
      this.oddByte = undefined;
      i = 1;
    }
    let overflowed = false;
    for (; i + 1 < n; i += 2) {
      if (this.pushSample(((chunk[i + 1]! << 8) | chunk[i]!) << 16 >> 16)) overflowed = true;
    }
    if (i < n) this.oddByte = chunk[i];
    if (overflowed) this.overruns++;
  }

  /** Returns true when a sample had to be dropped to make room. */
  pushSample(s: number): boolean {
    const cap = this.buf.length;
    let dropped = false;
    if (this.size === cap) {
      this.head = (this.head + 1) % cap;
      this.size--;
      this.droppedSamples++;
      dropped = true;
    }
    this.buf[(this.head + this.size) % cap] = s;
    this.size++;
    return dropped;
  }

  /** Exactly `n` samples: what is there, then silence (counted as an underrun). */
  read(n: number): Int16Array {
    const out = new Int16Array(n);
    const take = Math.min(n, this.size);
    const cap = this.buf.length;
    for (let k = 0; k < take; k++) out[k] = this.buf[(this.head + k) % cap]!;
    this.head = (this.head + take) % cap;
    this.size -= take;
    if (take < n) {
      this.underruns++;
      this.paddedSamples += n - take;
    }
    return out;
  }

  /** Keeps only the newest `keep` samples (bounds latency after a stall). */
  trimTo(keep: number): number {
    if (this.size <= keep) return 0;
    const drop = this.size - keep;
    this.head = (this.head + drop) % this.buf.length;
    this.size = keep;
    return drop; // the caller counts these (they are a latency decision, not an overflow)
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
    this.oddByte = undefined;
  }
}
