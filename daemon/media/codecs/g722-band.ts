/**
 * The adaptive part of one G.722 sub-band ADPCM (ITU-T G.722 block 3 scale factor adaptation and
 * block 4: RECONS, PARREC, UPPOL1/2, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC). Encoder and decoder
 * run the very same state updates, so both share this class.
 */
import { ILB } from './g722-tables.js';

/** Saturate to the 16-bit two's complement range, as the recommendation's fixed-point blocks do. */
export function sat16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

export class G722Band {
  /** predicted signal estimate (S) */
  s = 0;
  /** pole (SP) and zero (SZ) section outputs */
  private sp = 0;
  sz = 0;
  /** reconstructed signal R(n), R(n-1), R(n-2) */
  private readonly r = new Int32Array(3);
  /** pole coefficients A1, A2 (index 0 unused) and their new values */
  private readonly a = new Int32Array(3);
  private readonly ap = new Int32Array(3);
  /** partial reconstructed signal P(n), P(n-1), P(n-2) */
  private readonly p = new Int32Array(3);
  /** quantised difference D(n)..D(n-6) and zero coefficients B1..B6 */
  private readonly d = new Int32Array(7);
  private readonly b = new Int32Array(7);
  private readonly bp = new Int32Array(7);
  /** log scale factor (NBL / NBH) */
  nb = 0;
  /** quantiser scale factor (DETL / DETH) */
  det: number;

  /**
   * @param detInit reset value of the scale factor: 32 for the lower band, 8 for the higher band
   * @param nbMax LOGSCL/LOGSCH upper limit: 18432 (lower) or 22528 (higher)
   * @param scaleShift SCALEL uses 8, SCALEH 10 (the bands' different scale offsets)
   */
  constructor(
    private readonly detInit: number,
    private readonly nbMax: number,
    private readonly scaleShift: number,
  ) {
    this.det = detInit;
  }

  /** Blocks 3L/3H: LOGSCL/LOGSCH then SCALEL/SCALEH, with `w` the WL/WH multiplier of the code. */
  adaptScale(w: number): void {
    // LOGSCx: NB = NB * (1 - 2^-7) + W, limited to [0, nbMax]
    let nb = ((this.nb * 127) >> 7) + w;
    if (nb < 0) nb = 0;
    else if (nb > this.nbMax) nb = this.nbMax;
    this.nb = nb;
    // SCALEx: DET = 2^(NB / 2^11 + offset) via the ILB antilog table
    const frac = (nb >> 6) & 31;
    const shift = this.scaleShift - (nb >> 11);
    const mant = shift < 0 ? ILB[frac] << -shift : ILB[frac] >> shift;
    this.det = mant << 2;
  }

  /** Block 4: update the predictor with the quantised difference `dq` and compute the next estimate. */
  adaptPredictor(dq: number): void {
    const { r, a, ap, p, d, b, bp } = this;
    d[0] = dq;
    // RECONS and PARREC
    r[0] = sat16(this.s + dq);
    p[0] = sat16(this.sz + dq);

    // UPPOL2: A2 <- A2 (1 - 2^-7) + 2^-7 sgn(P0 P2) - 2^-7 F(A1) sgn(P0 P1), |A2| <= 0.75
    const sg0 = p[0] >> 15;
    const sg1 = p[1] >> 15;
    const sg2 = p[2] >> 15;
    const f = sat16(a[1] << 2);
    let wd2 = sg0 === sg1 ? -f : f;
    if (wd2 > 32767) wd2 = 32767;
    let a2 = (sg0 === sg2 ? 128 : -128) + (wd2 >> 7) + ((a[2] * 32512) >> 15);
    if (a2 > 12288) a2 = 12288;
    else if (a2 < -12288) a2 = -12288;
    ap[2] = a2;

    // UPPOL1: A1 <- A1 (1 - 2^-8) + 3 * 2^-8 sgn(P0 P1), |A1| <= 1 - 2^-4 - A2
    let a1 = sat16((sg0 === sg1 ? 192 : -192) + ((a[1] * 32640) >> 15));
    const lim = sat16(15360 - a2);
    if (a1 > lim) a1 = lim;
    else if (a1 < -lim) a1 = -lim;
    ap[1] = a1;

    // UPZERO: Bi <- Bi (1 - 2^-8) + 2^-7 sgn(D0) sgn(Di)
    const step = dq === 0 ? 0 : 128;
    const sgd = dq >> 15;
    for (let i = 1; i < 7; i++) {
      const same = d[i] >> 15 === sgd;
      bp[i] = sat16((same ? step : -step) + ((b[i] * 32640) >> 15));
    }

    // DELAYA
    for (let i = 6; i > 0; i--) {
      d[i] = d[i - 1];
      b[i] = bp[i];
    }
    for (let i = 2; i > 0; i--) {
      r[i] = r[i - 1];
      p[i] = p[i - 1];
      a[i] = ap[i];
    }

    // FILTEP: pole section
    const w1 = (a[1] * sat16(r[1] + r[1])) >> 15;
    const w2 = (a[2] * sat16(r[2] + r[2])) >> 15;
    this.sp = sat16(w1 + w2);

    // FILTEZ: zero section
    let sz = 0;
    for (let i = 6; i > 0; i--) sz += (b[i] * sat16(d[i] + d[i])) >> 15;
    this.sz = sat16(sz);

    // PREDIC
    this.s = sat16(this.sp + this.sz);
  }

  reset(): void {
    this.s = this.sp = this.sz = this.nb = 0;
    this.det = this.detInit;
    for (const arr of [this.r, this.a, this.ap, this.p, this.d, this.b, this.bp]) arr.fill(0);
  }
}
