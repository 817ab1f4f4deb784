import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { G722Codec, G722Decoder, G722Encoder } from '../../../daemon/media/codecs/g722.js';
import { concat, frames, speechLike } from './signals.js';

describe('G.722 codec', () => {
  it('codes 20 ms (320 samples at 16 kHz) into 160 bytes and back into 320 samples', () => {
    const c = new G722Codec();
    expect(c.sampleRate).toBe(16000);
    expect(c.rtpClockRate).toBe(8000);
    const payload = c.encode(speechLike(16000, 0.02));
    expect(payload.length).toBe(160);
    expect(c.decode(payload).length).toBe(320);
  });

  it('gives the same bytes whether fed in 20 ms frames, odd-sized chunks or all at once', () => {
    const pcm = speechLike(16000, 0.5);
    const whole = new G722Encoder().encode(pcm);
    const enc20 = new G722Encoder();
    const framed = concat(frames(pcm, 320).map((f) => enc20.encode(f)), (n) => new Uint8Array(n));
    const encOdd = new G722Encoder();
    const odd = concat(frames(pcm, 77).map((f) => encOdd.encode(f)), (n) => new Uint8Array(n));
    expect(Buffer.from(framed).equals(Buffer.from(whole))).toBe(true);
    expect(Buffer.from(odd).equals(Buffer.from(whole))).toBe(true);
  });

  it('decodes an empty payload to one frame of silence instead of throwing', () => {
    const out = new G722Codec().decode(new Uint8Array(0));
    expect(out.length).toBe(320);
    expect(out.every((v) => v === 0)).toBe(true);
  });

  it('decodes any byte string without throwing and keeps output within 16 bits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const out = new G722Decoder().decode(bytes);
        expect(out.length).toBe(bytes.length * 2);
      }),
      { numRuns: 200 },
    );
  });

  it('encodes silence to the idle pattern and decodes it back to (near) silence', () => {
    const c = new G722Codec();
    const out = c.decode(c.encode(new Int16Array(320)));
    expect(Math.max(...out.map(Math.abs))).toBeLessThan(16);
  });

  it('starts again from the reset state after close()', () => {
    const c = new G722Codec();
    const pcm = speechLike(16000, 0.04);
    const first = c.encode(pcm);
    c.encode(pcm);
    c.close();
    expect(Buffer.from(c.encode(pcm)).equals(Buffer.from(first))).toBe(true);
  });
});
