/**
 * ITU-T G.722 wideband ADPCM at 64 kbit/s (mode 1), written from the recommendation's block
 * descriptions: a 24-tap QMF splits 16 kHz audio into two 8 kHz sub-bands; the lower one is coded
 * with 6-bit ADPCM, the higher one with 2-bit ADPCM; one byte per pair of input samples
 * (bits 7-6 the higher band, bits 5-0 the lower band).
 *
 * RTP (RFC 3551 4.5.2): payload type 9, clock rate 8000 although it samples at 16000.
 * 20 ms = 320 samples = 160 bytes.
 */
import type { AudioCodec } from '../types.js';
import { G722Band, sat16 } from './g722-band.js';
import {
  IHN,
  IHP,
  ILN,
  ILP,
  Q2_LEVEL,
  Q6_LEVELS,
  QM2,
  QM4,
  QM6,
  QMF_COEFFS,
  RH2,
  RL42,
  WH,
  WL,
} from './g722-tables.js';

const FRAME_SAMPLES = 320;

function lowBand(): G722Band {
  return new G722Band(32, 18432, 8);
}
function highBand(): G722Band {
  return new G722Band(8, 22528, 10);
}

/** The G.722 encoder: 16-bit PCM at 16 kHz in, one byte per two samples out. Keeps state across calls. */
export class G722Encoder {
  private readonly low = lowBand();
  private readonly high = highBand();
  /** QMF delay line, newest samples at the end */
  private readonly x = new Int32Array(24);
  /** an odd trailing sample waits here for its partner */
  private pending: number | null = null;

  encode(pcm: Int16Array): Uint8Array {
    const total = pcm.length + (this.pending === null ? 0 : 1);
    const out = new Uint8Array(total >> 1);
    let j = 0;
    let k = 0;
    const x = this.x;
    while (true) {
      let s0: number;
      if (this.pending !== null) {
        if (j >= pcm.length) break;
        s0 = this.pending;
        this.pending = null;
      } else {
        if (j >= pcm.length) break;
        s0 = pcm[j++];
      }
      if (j >= pcm.length) {
        this.pending = s0;
        break;
      }
      const s1 = pcm[j++];
      // Transmit QMF: shift in two samples, compute the even and odd polyphase sums
      for (let i = 0; i < 22; i++) x[i] = x[i + 2];
      x[22] = s0;
      x[23] = s1;
      let sumOdd = 0;
      let sumEven = 0;
      for (let i = 0; i < 12; i++) {
        sumOdd += x[2 * i] * QMF_COEFFS[i];
        sumEven += x[2 * i + 1] * QMF_COEFFS[11 - i];
      }
      const xl = (sumEven + sumOdd) >> 14;
      const xh = (sumEven - sumOdd) >> 14;
      out[k++] = (this.encodeHigh(xh) << 6) | this.encodeLow(xl);
    }
    return k === out.length ? out : out.subarray(0, k);
  }

  private encodeLow(xl: number): number {
    const band = this.low;
    // SUBTRA
    const el = sat16(xl - band.s);
    // QUANTL: find the interval of |EL| among the 30 decision levels scaled by DETL
    const mag = el >= 0 ? el : -(el + 1);
    let i = 1;
    for (; i < 30; i++) {
      if (mag < (Q6_LEVELS[i] * band.det) >> 12) break;
    }
    const il = el < 0 ? ILN[i] : ILP[i];
    // INVQAL (4-bit truncated code), LOGSCL/SCALEL, then the predictor update
    const ril = il >> 2;
    const dlt = (band.det * QM4[ril]) >> 15;
    band.adaptScale(WL[RL42[ril]]);
    band.adaptPredictor(dlt);
    return il;
  }

  private encodeHigh(xh: number): number {
    const band = this.high;
    const eh = sat16(xh - band.s);
    // QUANTH: one decision level
    const mag = eh >= 0 ? eh : -(eh + 1);
    const mih = mag >= (Q2_LEVEL * band.det) >> 12 ? 2 : 1;
    const ih = eh < 0 ? IHN[mih] : IHP[mih];
    const dh = (band.det * QM2[ih]) >> 15;
    band.adaptScale(WH[RH2[ih]]);
    band.adaptPredictor(dh);
    return ih;
  }

  reset(): void {
    this.low.reset();
    this.high.reset();
    this.x.fill(0);
    this.pending = null;
  }
}

/** The G.722 decoder: one byte in, two 16 kHz samples out. Every byte value is a valid code. */
export class G722Decoder {
  private readonly low = lowBand();
  private readonly high = highBand();
  private readonly x = new Int32Array(24);

  decode(data: Uint8Array): Int16Array {
    const out = new Int16Array(data.length * 2);
    const x = this.x;
    let k = 0;
    for (let j = 0; j < data.length; j++) {
      const code = data[j];
      const rl = this.decodeLow(code & 0x3f);
      const rh = this.decodeHigh((code >> 6) & 3);
      // Receive QMF
      for (let i = 0; i < 22; i++) x[i] = x[i + 2];
      x[22] = rl + rh;
      x[23] = rl - rh;
      let out1 = 0;
      let out2 = 0;
      for (let i = 0; i < 12; i++) {
        out2 += x[2 * i] * QMF_COEFFS[i];
        out1 += x[2 * i + 1] * QMF_COEFFS[11 - i];
      }
      out[k++] = sat16(out1 >> 11);
      out[k++] = sat16(out2 >> 11);
    }
    return out;
  }

  private decodeLow(ilr: number): number {
    const band = this.low;
    // INVQBL (mode 1, 6 bits) and RECONS, LIMIT
    let rl = band.s + ((band.det * QM6[ilr]) >> 15);
    if (rl > 16383) rl = 16383;
    else if (rl < -16384) rl = -16384;
    // the predictor adapts on the 4-bit truncated code, as in the encoder
    const ril = ilr >> 2;
    const dlt = (band.det * QM4[ril]) >> 15;
    band.adaptScale(WL[RL42[ril]]);
    band.adaptPredictor(dlt);
    return rl;
  }

  private decodeHigh(ih: number): number {
    const band = this.high;
    const dh = (band.det * QM2[ih]) >> 15;
    let rh = band.s + dh;
    if (rh > 16383) rh = 16383;
    else if (rh < -16384) rh = -16384;
    band.adaptScale(WH[RH2[ih]]);
    band.adaptPredictor(dh);
    return rh;
  }

  reset(): void {
    this.low.reset();
    this.high.reset();
    this.x.fill(0);
  }
}

/** The AudioCodec for G.722 (one encoder and one decoder state, as one RTP stream each way needs). */
export class G722Codec implements AudioCodec {
  readonly name = 'g722' as const;
  readonly sampleRate = 16000;
  readonly rtpClockRate = 8000;
  private readonly enc = new G722Encoder();
  private readonly dec = new G722Decoder();

  encode(pcm: Int16Array): Uint8Array {
    return this.enc.encode(pcm);
  }

  decode(payload: Uint8Array): Int16Array {
    if (!(payload instanceof Uint8Array) || payload.length === 0) return new Int16Array(FRAME_SAMPLES);
    return this.dec.decode(payload);
  }

  close(): void {
    this.enc.reset();
    this.dec.reset();
  }
}
