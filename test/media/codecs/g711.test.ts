import { describe, expect, it } from 'vitest';
import { alawEncodeSample, PcmaCodec } from '../../../daemon/media/codecs/pcma.js';
import { mulawEncodeSample, PcmuCodec } from '../../../daemon/media/codecs/pcmu.js';
import { bestSnr, sweep } from './signals.js';

describe.each([
  ['PCMU', () => new PcmuCodec()],
  ['PCMA', () => new PcmaCodec()],
])('%s', (_label, make) => {
  it('codes 160 samples into 160 bytes at 8 kHz', () => {
    const c = make();
    expect(c.sampleRate).toBe(8000);
    expect(c.rtpClockRate).toBe(8000);
    const bytes = c.encode(sweep(8000, 0.02, 300, 3000));
    expect(bytes.length).toBe(160);
    expect(c.decode(bytes).length).toBe(160);
  });

  it('round-trips a 300..3400 Hz sweep above 30 dB SNR with no delay', () => {
    const c = make();
    const pcm = sweep(8000, 1, 300, 3400, 12000);
    const { snr, lag } = bestSnr(pcm, c.decode(c.encode(pcm)), 8);
    expect(lag).toBe(0);
    expect(snr).toBeGreaterThan(30);
  });

  it('decodes an empty payload to 20 ms of silence', () => {
    const out = make().decode(new Uint8Array(0));
    expect(out.length).toBe(160);
    expect(out.every((v) => v === 0)).toBe(true);
  });
});

describe('single-sample G.711 helpers', () => {
  it('returns a byte (0..255) for negative samples, like the array encoder', () => {
    expect(mulawEncodeSample(-1000)).toBe(new PcmuCodec().encode(Int16Array.of(-1000))[0]);
    expect(mulawEncodeSample(-1000)).toBe(78);
    for (const v of [-32768, -1, 0, 1, 32767]) {
      expect(mulawEncodeSample(v)).toBe(new PcmuCodec().encode(Int16Array.of(v))[0]);
      expect(alawEncodeSample(v)).toBe(new PcmaCodec().encode(Int16Array.of(v))[0]);
    }
  });
});

describe('G.711 decoding against ffmpeg', () => {
  it.each([
    ['mulaw', () => new PcmuCodec()],
    ['alaw', () => new PcmaCodec()],
  ] as const)('decodes all 256 %s codes exactly as ffmpeg does', async (fmt, make) => {
    const { execFileSync } = await import('node:child_process');
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const raw = execFileSync('ffmpeg', ['-loglevel', 'error', '-f', fmt, '-ar', '8000', '-ac', '1', '-i', '-', '-f', 's16le', '-'], { input: codes });
    const theirs = new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    expect(Array.from(make().decode(codes))).toEqual(Array.from(theirs));
  });
});
