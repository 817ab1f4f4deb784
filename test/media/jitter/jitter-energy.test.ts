import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { alawToLinear, pcmaEnergy, pcmEnergy, pcmuEnergy, ulawToLinear } from '../../../daemon/media/jitter-energy.js';

const { alaw, mulaw } = alawmulaw as unknown as {
  alaw: { encode(s: Int16Array): Uint8Array; decode(b: Uint8Array): Int16Array };
  mulaw: { encode(s: Int16Array): Uint8Array; decode(b: Uint8Array): Int16Array };
};

function tone(amp: number, n = 160): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * 400 * i) / 8000)));
}

describe('frame energy for quiet-frame accelerate', () => {
  it('decodes every G.711 byte like the alawmulaw codec', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(Array.from(all, ulawToLinear)).toEqual(Array.from(mulaw.decode(all)));
    expect(Array.from(all, alawToLinear)).toEqual(Array.from(alaw.decode(all)));
  });

  it('measures a loud tone about 40 dB above a quiet one, for PCMU and PCMA', () => {
    const loud = tone(16000);
    const quiet = tone(160);
    for (const [enc, energy] of [
      [mulaw.encode, pcmuEnergy],
      [alaw.encode, pcmaEnergy],
    ] as const) {
      const ratioDb = 10 * Math.log10(energy(enc(loud)) / energy(enc(quiet)));
      expect(ratioDb).toBeGreaterThan(37);
      expect(ratioDb).toBeLessThan(43);
      // a full-scale-ish sine has mean square ~ amp^2/2
      expect(energy(enc(loud))).toBeCloseTo(pcmEnergy(loud), 2);
    }
  });

  it('gives 0 for an empty payload', () => {
    expect(pcmuEnergy(new Uint8Array(0))).toBe(0);
    expect(pcmaEnergy(new Uint8Array(0))).toBe(0);
  });
});
