/**
 * Packet-loss concealment by waveform continuation for codecs without their own PLC (G.711, G.722).
 *
 * Ideas from ITU-T G.711 Appendix I: keep ~48.75 ms of recent good audio; at the start of a loss find
 * the pitch period (5-15 ms) by normalised correlation; repeat the last pitch period (the last two,
 * then three, after 10 and 20 ms of loss, so long losses sound less buzzy) with an overlap-added
 * seam so the loop has no click; keep full level for 10 ms, then fade linearly to silence at 60 ms;
 * on the next good frame cross-fade from the continuation into the real audio over a quarter pitch
 * period plus 4 ms per 10 ms of loss (at most 10 ms). Our own code, not the reference C.
 *
 * Usage per frame: good frame -> `merge(pcm)` (returns the frame to play; equals `pcm` unless the
 * previous frame was concealed, and remembers it); lost frame -> `conceal(samples)`.
 */

const HISTORY_MS = 48.75;
const MIN_PITCH_MS = 5;
const MAX_PITCH_MS = 15;
const CORR_MS = 15;
const FULL_LEVEL_MS = 10;
const SILENT_AT_MS = 60;

export class Concealer {
  private readonly history: Float32Array;
  private filled = 0; // valid samples at the end of history
  private readonly minPitch: number;
  private readonly maxPitch: number;
  private readonly corrLen: number;
  private lost = 0; // samples concealed in the current loss
  private pitch = 0;
  private loop: Float32Array | null = null;
  private periods = 0;
  private pos = 0; // index into loop

  constructor(readonly sampleRate: number) {
    const ms = (x: number) => Math.max(1, Math.round((x * sampleRate) / 1000));
    this.history = new Float32Array(ms(HISTORY_MS));
    this.minPitch = ms(MIN_PITCH_MS);
    this.maxPitch = ms(MAX_PITCH_MS);
    this.corrLen = ms(CORR_MS);
  }

  /** true while the last frame handed out was concealment */
  get concealing(): boolean {
    return this.lost > 0;
  }

  /** Add one good frame to the history (use merge() when the frame follows a concealed one). */
  remember(pcm: Int16Array): void {
    const h = this.history;
    const n = pcm.length;
    if (n >= h.length) {
      for (let i = 0; i < h.length; i++) h[i] = pcm[n - h.length + i];
    } else {
      h.copyWithin(0, n);
      for (let i = 0; i < n; i++) h[h.length - n + i] = pcm[i];
    }
    this.filled = Math.min(h.length, this.filled + n);
  }

  /** One frame of concealment continuing the remembered waveform. */
  conceal(samples: number): Int16Array {
    const out = new Int16Array(Math.max(0, samples | 0));
    if (this.filled < this.maxPitch + this.corrLen) {
      this.lost += out.length; // too little history: silence
      return out;
    }
    if (this.lost === 0) this.startLoss();
    for (let i = 0; i < out.length; i++) {
      out[i] = clip16(this.nextSample() * this.gain(this.lost));
      this.lost++;
    }
    return out;
  }

  /** The frame to play after a good frame arrives: cross-faded from the concealment when one ran. */
  merge(pcm: Int16Array): Int16Array {
    if (this.lost === 0 || !this.loop) {
      this.lost = 0;
      this.remember(pcm);
      return pcm;
    }
    const lostMs = (this.lost * 1000) / this.sampleRate;
    const extra = Math.round(((4 * Math.ceil(lostMs / 10)) * this.sampleRate) / 1000);
    const len = Math.min(pcm.length, Math.round(this.pitch / 4) + extra, Math.round(this.sampleRate / 100));
    const out = Int16Array.from(pcm);
    for (let i = 0; i < len; i++) {
      const w = (i + 1) / (len + 1);
      const c = this.nextSample() * this.gain(this.lost);
      this.lost++;
      out[i] = clip16(c * (1 - w) + pcm[i] * w);
    }
    this.lost = 0;
    this.loop = null;
    this.remember(out);
    return out;
  }

  reset(): void {
    this.history.fill(0);
    this.filled = 0;
    this.lost = 0;
    this.loop = null;
  }

  private startLoss(): void {
    this.pitch = this.findPitch();
    this.periods = 1;
    this.loop = this.buildLoop(1);
    this.pos = 0;
  }

  /** lag in [minPitch, maxPitch] maximising the normalised correlation of the recent audio */
  private findPitch(): number {
    const h = this.history;
    const end = h.length;
    const w = this.corrLen;
    let best = this.minPitch;
    let bestScore = -Infinity;
    let eA = 0;
    for (let i = end - w; i < end; i++) eA += h[i] * h[i];
    for (let lag = this.minPitch; lag <= this.maxPitch; lag++) {
      if (end - w - lag < h.length - this.filled) break;
      let xy = 0;
      let eB = 0;
      for (let i = end - w; i < end; i++) {
        const b = h[i - lag];
        xy += h[i] * b;
        eB += b * b;
      }
      const score = eA > 0 && eB > 0 ? xy / Math.sqrt(eA * eB) : 0;
      // prefer the shorter lag unless a longer one is clearly better (octave errors)
      if (score > bestScore + 1e-3) {
        bestScore = score;
        best = lag;
      }
    }
    return best;
  }

  /**
   * The last `periods` pitch periods of history as a seamless loop: its last quarter period is
   * overlap-added with the audio that preceded its first sample, so wrapping around is smooth.
   */
  private buildLoop(periods: number): Float32Array {
    const h = this.history;
    const end = h.length;
    const len = Math.min(periods * this.pitch, this.filled - Math.ceil(this.pitch / 4));
    const loop = h.slice(end - len, end);
    const q = Math.max(1, Math.round(this.pitch / 4));
    for (let j = 0; j < q; j++) {
      const w = (j + 1) / (q + 1);
      const k = len - q + j;
      loop[k] = loop[k] * (1 - w) + h[end - len - q + j] * w;
    }
    return loop;
  }

  private nextSample(): number {
    const lostMs = (this.lost * 1000) / this.sampleRate;
    const want = lostMs >= 20 ? 3 : lostMs >= 10 ? 2 : 1;
    if (want !== this.periods && this.loop) {
      // same history sample in the longer loop: its index moves by the added periods
      const added = (want - this.periods) * this.pitch;
      const next = this.buildLoop(want);
      if (next.length === this.loop.length + added) this.pos += added;
      else this.pos = next.length - (this.loop.length - this.pos);
      this.loop = next;
      this.periods = want;
    }
    const loop = this.loop!;
    if (this.pos >= loop.length || this.pos < 0) this.pos = 0;
    const s = loop[this.pos];
    this.pos = (this.pos + 1) % loop.length;
    return s;
  }

  private gain(lostSamples: number): number {
    const ms = (lostSamples * 1000) / this.sampleRate;
    if (ms < FULL_LEVEL_MS) return 1;
    return Math.max(0, 1 - (ms - FULL_LEVEL_MS) / (SILENT_AT_MS - FULL_LEVEL_MS));
  }
}

function clip16(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : Math.round(x);
}
