import { describe, expect, it } from 'vitest';
import { CODECS, createCodec, frameSamples, timestampStep } from '../../../daemon/media/codecs/registry.js';
import { PortierError } from '../../../daemon/util/errors.js';

describe('codec registry', () => {
  it('makes each named codec with matching rates', () => {
    for (const name of ['pcmu', 'pcma', 'g722', 'opus'] as const) {
      const c = createCodec(name);
      expect(c.name).toBe(name);
      expect(c.sampleRate).toBe(CODECS[name].sampleRate);
      expect(c.rtpClockRate).toBe(CODECS[name].clockRate);
      c.close();
    }
  });

  it('fails on an unknown codec with the list of known ones', () => {
    expect(() => createCodec('gsm')).toThrowError(PortierError);
    expect(() => createCodec('gsm')).toThrowError(/pcmu, pcma, g722, opus/);
  });

  it('computes G.722 frame sizes from the 16 kHz PCM rate but timestamps from the 8 kHz clock', () => {
    expect(frameSamples(CODECS.g722, 20)).toBe(320);
    expect(timestampStep(CODECS.g722, 20)).toBe(160);
    expect(frameSamples(CODECS.opus, 20)).toBe(960);
    expect(timestampStep(CODECS.pcmu, 30)).toBe(240);
  });
});
