/**
 * Cheap frame-energy functions for the jitter buffer's `frameEnergy` option, so accelerate can drop
 * quiet frames. G.711 payloads are decoded through 256-entry tables (ITU-T G.711 segment/mantissa
 * expansion); the result is the mean square of the samples normalised to full scale (0..1).
 */

function buildTable(decode: (byte: number) => number): Float64Array {
  const t = new Float64Array(256);
  for (let b = 0; b < 256; b++) {
    const s = decode(b) / 32768;
    t[b] = s * s;
  }
  return t;
}

/** G.711 mu-law byte -> 16-bit linear sample */
export function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = (((u & 0x0f) << 3) + 0x84) << exponent;
  return u & 0x80 ? 0x84 - magnitude : magnitude - 0x84;
}

/** G.711 A-law byte -> 16-bit linear sample */
export function alawToLinear(byte: number): number {
  const a = (byte ^ 0x55) & 0xff;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

let ulawSq: Float64Array | undefined;
let alawSq: Float64Array | undefined;

function meanOf(table: Float64Array, payload: Uint8Array): number {
  if (!payload.length) return 0;
  let e = 0;
  for (let i = 0; i < payload.length; i++) e += table[payload[i]];
  return e / payload.length;
}

/** mean-square energy (0..1 of full scale) of a PCMU payload */
export function pcmuEnergy(payload: Uint8Array): number {
  ulawSq ??= buildTable(ulawToLinear);
  return meanOf(ulawSq, payload);
}

/** mean-square energy (0..1 of full scale) of a PCMA payload */
export function pcmaEnergy(payload: Uint8Array): number {
  alawSq ??= buildTable(alawToLinear);
  return meanOf(alawSq, payload);
}

/** mean-square energy (0..1 of full scale) of decoded PCM, for codecs whose payload is opaque */
export function pcmEnergy(pcm: Int16Array): number {
  if (!pcm.length) return 0;
  let e = 0;
  for (let i = 0; i < pcm.length; i++) {
    const s = pcm[i] / 32768;
    e += s * s;
  }
  return e / pcm.length;
}
