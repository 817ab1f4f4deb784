import { afterEach, describe, expect, it } from 'vitest';
import { hasLbrr, OpusCodec, opusRateFor } from '../../../daemon/media/codecs/opus.js';
import { blockTone } from '../../../daemon/media/goertzel.js';
import { OpusWasmDecoder } from '../../../daemon/media/codecs/opus-wasm.js';
import { frames, prng } from './signals.js';

/** A voiced, slowly gliding tone with a little noise: enough for SILK (and its FEC) to engage. */
function voice(seconds: number): Int16Array {
  const n = 48000 * seconds;
  const out = new Int16Array(n);
  const rnd = prng(3);
  let ph = 0;
  for (let i = 0; i < n; i++) {
    const t = i / 48000;
    ph += (2 * Math.PI * (200 + 100 * Math.sin(2 * Math.PI * t))) / 48000;
    out[i] = Math.round(8000 * Math.sin(ph) * (0.6 + 0.4 * Math.sin(2 * Math.PI * 3 * t)) + 1000 * (rnd() - 0.5));
  }
  return out;
}

function snr(ref: Int16Array, x: Int16Array): number {
  let s = 0;
  let e = 0;
  for (let i = 0; i < ref.length; i++) {
    s += ref[i] * ref[i];
    e += (x[i] - ref[i]) ** 2;
  }
  return 10 * Math.log10(s / Math.max(e, 1));
}

const open: OpusCodec[] = [];
function codec(): OpusCodec {
  const c = new OpusCodec();
  open.push(c);
  return c;
}
afterEach(() => {
  while (open.length) open.pop()!.close();
});

describe('Opus codec', () => {
  it('encodes 20 ms of 48 kHz mono and decodes 960 samples back, at 48 kHz RTP clock', () => {
    const c = codec();
    expect(c.sampleRate).toBe(48000);
    expect(c.rtpClockRate).toBe(48000);
    const pkt = c.encode(voice(0.02));
    expect(pkt.length).toBeGreaterThan(10);
    expect(pkt.length).toBeLessThan(200); // about 32 kbit/s
    expect(c.decode(pkt).length).toBe(960);
  });

  it('runs at 16 kHz PCM (the HAL default) with the RTP clock still at 48 kHz, and a 16 kHz packet decodes at 48 kHz too', () => {
    const c = new OpusCodec({ sampleRate: 16000 });
    const wide = codec();
    open.push(c);
    expect([c.sampleRate, c.rtpClockRate]).toEqual([16000, 48000]);
    const tone = new Int16Array(16000);
    for (let i = 0; i < tone.length; i++) tone[i] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 16000));
    const out16 = new Int16Array(tone.length);
    const out48 = new Int16Array(tone.length * 3);
    frames(tone, 320).forEach((f, i) => {
      const pkt = c.encode(f);
      out16.set(c.decode(pkt), i * 320);
      out48.set(wide.decode(pkt), i * 960); // what a 48 kHz peer makes of our packets
    });
    expect(c.conceal(320).length).toBe(320);
    for (const [pcm, rate] of [[out16, 16000], [out48, 48000]] as const) {
      const t = blockTone(pcm, rate / 2, rate / 4, 1000, rate); // a quarter second from the middle
      expect(t.ratio, `at ${rate} Hz`).toBeGreaterThan(0.8);
    }
    expect(opusRateFor(16000)).toBe(16000);
    expect(opusRateFor(44100)).toBe(48000);
    expect(opusRateFor(undefined)).toBe(48000);
  });

  it('round-trips a voiced signal with correlation above 0.8', () => {
    const enc = codec();
    const dec = codec();
    const pcm = voice(1);
    const out = new Int16Array(pcm.length);
    frames(pcm, 960).forEach((f, i) => out.set(dec.decode(enc.encode(f)), i * 960));
    // correlation at the best lag (Opus adds a few ms of look-ahead delay)
    let best = 0;
    for (let lag = 0; lag <= 480; lag++) {
      let xy = 0, xx = 0, yy = 0;
      for (let i = 4800; i < 19200; i++) {
        xy += pcm[i] * out[i + lag];
        xx += pcm[i] * pcm[i];
        yy += out[i + lag] * out[i + lag];
      }
      best = Math.max(best, xy / Math.sqrt(xx * yy));
    }
    // measured 0.877 (32 kbit/s, complexity 5, the added noise is not waveform-coded)
    expect(best).toBeGreaterThan(0.8);
  });

  it('conceals a lost frame with the requested number of samples', () => {
    const c = codec();
    const enc = codec();
    for (const f of frames(voice(0.2), 960)) c.decode(enc.encode(f));
    const plc = c.conceal(960);
    expect(plc.length).toBe(960);
    // continuation of a voiced signal, not silence
    expect(plc.some((v) => Math.abs(v) > 100)).toBe(true);
  });

  it('decodes a corrupt payload to one frame of concealment instead of throwing', () => {
    const c = codec();
    expect(c.decode(Uint8Array.of(0xff, 0xff, 0xff, 0xff)).length).toBe(960);
    expect(c.decode(new Uint8Array(0)).length).toBe(960);
  });

  it('recovers a lost frame from the next packet\'s in-band FEC better than PLC does', () => {
    const enc = codec();
    const pkts = frames(voice(1.2), 960).map((f) => enc.encode(f));
    // pick a lost frame whose successor carries LBRR
    const k = pkts.findIndex((p, i) => i >= 30 && hasLbrr(pkts[i + 1] ?? new Uint8Array(0)));
    expect(k).toBeGreaterThanOrEqual(30);
    // the reference: what a decoder that received packet k produced
    const ref = new OpusWasmDecoder(48000, 1);
    let refOut: Int16Array | null = null;
    for (let i = 0; i <= k; i++) refOut = ref.decode(pkts[i], 5760);
    ref.close();

    const withFec = codec();
    const withPlc = codec();
    for (let i = 0; i < k; i++) {
      withFec.decode(pkts[i]);
      withPlc.decode(pkts[i]);
    }
    const fec = withFec.decodeFec(pkts[k + 1], 960);
    expect(fec).not.toBeNull();
    expect(fec!.length).toBe(960);
    const plc = withPlc.conceal(960);
    const fecSnr = snr(refOut!, fec!);
    expect(fecSnr).toBeGreaterThan(6);
    expect(fecSnr).toBeGreaterThan(snr(refOut!, plc) + 3);
  });

  it('reports no FEC for CELT-only packets and too-short packets', () => {
    expect(hasLbrr(Uint8Array.of((31 << 3) | 0, 0xff, 0xff))).toBe(false); // config 31: CELT FB 20 ms
    expect(hasLbrr(Uint8Array.of(0x08))).toBe(false);
    expect(new OpusCodec().decodeFec(Uint8Array.of(0xf8, 1, 2), 960)).toBeNull();
  });

  it('refuses a frame size Opus cannot code with a MEDIA_ERROR', () => {
    expect(() => codec().encode(new Int16Array(100))).toThrowError(/2\.5, 5, 10, 20, 40 or 60 ms/);
  });

  it('is safe to close twice and then decodes to silence', () => {
    const c = new OpusCodec();
    c.close();
    c.close();
    expect(c.decode(Uint8Array.of(1, 2, 3)).every((v) => v === 0)).toBe(true);
    expect(c.encode(new Int16Array(960)).length).toBe(0);
  });
});


describe('Opus backends', () => {
  it('names the encoder backend in use (native addon on linux x64/arm64)', async () => {
    const { opusEncoderBackend } = await import('../../../daemon/media/codecs/opus.js');
    expect(['native', 'wasm']).toContain(opusEncoderBackend());
    if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64') && !process.env.OPUS_FORCE_WASM) {
      expect(opusEncoderBackend()).toBe('native');
    }
  });

  it('still encodes and decodes when the native addon is unavailable (wasm fallback)', async () => {
    const { execFileSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const registry = fileURLToPath(new URL('../../../daemon/media/codecs/registry.ts', import.meta.url));
    const opus = fileURLToPath(new URL('../../../daemon/media/codecs/opus.ts', import.meta.url));
    const script = `
      const { createCodec } = await import(${JSON.stringify(registry)});
      const { opusEncoderBackend } = await import(${JSON.stringify(opus)});
      const c = createCodec('opus');
      const pcm = Int16Array.from({ length: 960 }, (_, i) => Math.round(8000 * Math.sin(i / 10)));
      const pkt = c.encode(pcm);
      console.log(JSON.stringify({ backend: opusEncoderBackend(), bytes: pkt.length, samples: c.decode(pkt).length }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, OPUS_FORCE_WASM: '1' },
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(r.backend).toBe('wasm');
    expect(r.bytes).toBeGreaterThan(5);
    expect(r.samples).toBe(960);
  });
});

describe('opusOptionsFromFmtp', () => {
  it('takes maxplaybackrate, caps the bitrate at maxaveragebitrate and follows useinbandfec', async () => {
    const { opusOptionsFromFmtp } = await import('../../../daemon/media/codecs/opus.js');
    expect(opusOptionsFromFmtp({ maxplaybackrate: '16000', maxaveragebitrate: '20000', useinbandfec: '1' })).toEqual({
      maxPlaybackRate: 16000,
      bitrate: 20000,
      inbandFec: true,
    });
    expect(opusOptionsFromFmtp({ maxaveragebitrate: '64000' }, { bitrate: 24000 })).toEqual({ bitrate: 24000 });
    expect(opusOptionsFromFmtp({ useinbandfec: '0', maxplaybackrate: 'lots' })).toEqual({ inbandFec: false });
  });
});

describe('hasLbrr against libopus itself', () => {
  /** Ground truth: FEC decoding of packet k differs from plain concealment only if it carries LBRR. */
  function fecDiffersFromPlc(pkts: Uint8Array[], k: number): boolean {
    const a = new OpusWasmDecoder(48000, 1);
    const b = new OpusWasmDecoder(48000, 1);
    for (let i = 0; i < k; i++) {
      a.decode(pkts[i], 5760);
      b.decode(pkts[i], 5760);
    }
    const x = a.decode(pkts[k], 960, true)!;
    const y = b.decode(null, 960)!;
    a.close();
    b.close();
    return x.some((v, i) => v !== y[i]);
  }

  it('never claims FEC that libopus does not use, and agrees on at least 95% of mono and stereo packets', async () => {
    const { createRequire } = await import('node:module');
    const { Encoder } = createRequire(import.meta.url)('@evan/opus') as {
      Encoder: new (o: object) => { encode(b: Int16Array): Uint8Array; bitrate: number; inband_fec: boolean; packet_loss: number };
    };
    const stereo = new Encoder({ channels: 2, sample_rate: 48000, application: 'voip' });
    stereo.bitrate = 40000;
    stereo.inband_fec = true;
    stereo.packet_loss = 10;
    const mono = codec();
    const rnd = prng(5);
    const seqs: Uint8Array[][] = [[], []];
    let ph = 0;
    for (let f = 0; f < 60; f++) {
      const m = new Int16Array(960);
      const s = new Int16Array(1920);
      for (let i = 0; i < 960; i++) {
        ph += (2 * Math.PI * (200 + 80 * Math.sin(f / 7))) / 48000;
        const v = Math.round(7000 * Math.sin(ph) * (0.5 + 0.5 * Math.sin(f / 3)) + 1500 * (rnd() - 0.5));
        m[i] = v;
        s[2 * i] = v;
        s[2 * i + 1] = Math.round(v * 0.7);
      }
      seqs[0].push(mono.encode(m));
      seqs[1].push(stereo.encode(s));
    }
    for (const pkts of seqs) {
      let agree = 0;
      let claimed = 0;
      for (let k = 1; k < pkts.length; k++) {
        const truth = fecDiffersFromPlc(pkts, k);
        const ours = hasLbrr(pkts[k]);
        if (ours) {
          claimed++;
          expect(truth).toBe(true);
        }
        if (ours === truth) agree++;
      }
      expect(claimed).toBeGreaterThan(10);
      expect(agree / (pkts.length - 1)).toBeGreaterThanOrEqual(0.95);
    }
  });
});
