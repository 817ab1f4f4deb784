/**
 * Opus (RFC 6716, RTP payload format RFC 7587) through `@evan/opus`: its native addon (or, when
 * that cannot load, its wasm build) encodes our mono capture; decoding runs on the package's
 * wasm build through our own glue so that concealment (PLC) and in-band FEC are available.
 * SDP always says opus/48000/2 (RFC 7587 7); the RTP clock is 48000 whatever rate the PCM has.
 * libopus encodes from and decodes to 8, 12, 16, 24 or 48 kHz itself, so a codec made at the HAL's
 * rate (16 kHz by default) needs no resampling on either side, and its encoder does no work on
 * audio above what the microphone delivers.
 */
import { createRequire } from 'node:module';
import { PortierError } from '../../util/errors.js';
import type { AudioCodec } from '../types.js';
import { OpusWasmDecoder } from './opus-wasm.js';

export interface OpusOptions {
  /** target bitrate in bit/s (default 32000) */
  bitrate?: number;
  /** ask for in-band FEC in what we send (default true) */
  inbandFec?: boolean;
  /** expected loss in percent, steers how much FEC the encoder spends (default 10) */
  packetLossPercent?: number;
  /** 0..10, lower is cheaper on a Pi (default 5) */
  complexity?: number;
  /** the peer's maxplaybackrate (RFC 7587 7.1); limits the encoded bandwidth */
  maxPlaybackRate?: number;
  /** 20 ms frames by default */
  frameMs?: number;
  /** the PCM rate on our side (default 48000); the RTP clock stays 48000 (RFC 7587 4.1) */
  sampleRate?: OpusRate;
}

export type OpusRate = 8000 | 12000 | 16000 | 24000 | 48000;
const OPUS_RATES: readonly number[] = [8000, 12000, 16000, 24000, 48000];

/** The rate to run Opus at for PCM of `rate` Hz: that rate when libopus takes it, else 48000. */
export function opusRateFor(rate: number | undefined): OpusRate {
  return rate !== undefined && OPUS_RATES.includes(rate) ? (rate as OpusRate) : 48000;
}

interface EvanEncoder {
  encode(buf: ArrayBufferView): Uint8Array;
  ctl(cmd: number, value?: number): number;
  bitrate: number | 'auto' | 'max';
  complexity: number;
  inband_fec: boolean;
  packet_loss: number;
  signal: 'auto' | 'voice' | 'music';
  max_bandwidth: 'narrowband' | 'mediumband' | 'wideband' | 'superwideband' | 'fullband';
  reset(): void;
  drop?: () => void;
}
interface EvanOpus {
  Encoder: new (o: { channels: 1 | 2; sample_rate: number; application: string }) => EvanEncoder;
}

let evan: EvanOpus | null = null;
let backend: 'native' | 'wasm' | null = null;

/**
 * `@evan/opus` loads its native addon and falls back to its wasm build by itself (lib.js; the
 * environment variable OPUS_FORCE_WASM forces wasm).
 */
function loadEvan(): EvanOpus {
  if (!evan) evan = createRequire(import.meta.url)('@evan/opus') as EvanOpus;
  return evan;
}

/** Which build of libopus encodes: the native addon, or the wasm fallback (for logs and the panel). */
export function opusEncoderBackend(): 'native' | 'wasm' {
  if (backend) return backend;
  if (process.env.OPUS_FORCE_WASM) return (backend = 'wasm');
  try {
    createRequire(import.meta.url)('@evan/opus/node/index.js');
    backend = 'native';
  } catch {
    backend = 'wasm';
  }
  return backend;
}

function bandwidthFor(rate: number): EvanEncoder['max_bandwidth'] {
  if (rate <= 8000) return 'narrowband';
  if (rate <= 12000) return 'mediumband';
  if (rate <= 16000) return 'wideband';
  if (rate <= 24000) return 'superwideband';
  return 'fullband';
}

export class OpusCodec implements AudioCodec {
  readonly name = 'opus' as const;
  readonly sampleRate: OpusRate;
  readonly rtpClockRate = 48000;
  private enc: EvanEncoder | null;
  private dec: OpusWasmDecoder | null;
  private readonly frameSamples: number;

  constructor(opts: OpusOptions = {}) {
    this.sampleRate = opusRateFor(opts.sampleRate);
    this.frameSamples = ((opts.frameMs ?? 20) * this.sampleRate) / 1000;
    const { Encoder } = loadEvan();
    const enc = new Encoder({ channels: 1, sample_rate: this.sampleRate, application: 'voip' });
    enc.bitrate = opts.bitrate ?? 32000;
    enc.complexity = opts.complexity ?? 5;
    enc.signal = 'voice';
    enc.inband_fec = opts.inbandFec ?? true;
    enc.packet_loss = opts.packetLossPercent ?? 10;
    const limit = Math.min(opts.maxPlaybackRate ?? 48000, this.sampleRate);
    if (limit < 48000) enc.max_bandwidth = bandwidthFor(limit);
    this.enc = enc;
    this.dec = new OpusWasmDecoder(this.sampleRate, 1);
  }

  /** Encode one frame (2.5, 5, 10, 20, 40 or 60 ms of mono PCM at sampleRate). */
  encode(pcm: Int16Array): Uint8Array {
    if (!this.enc) return new Uint8Array(0);
    try {
      return this.enc.encode(pcm);
    } catch (err) {
      throw new PortierError(
        'MEDIA_ERROR',
        `Opus cannot encode a frame of ${pcm.length} samples (it takes 2.5, 5, 10, 20, 40 or 60 ms at ${this.sampleRate / 1000} kHz): ${String(err)}`,
        { cause: err },
      );
    }
  }

  /** Decode one packet; a corrupt packet yields one frame of concealment (never throws). */
  decode(payload: Uint8Array): Int16Array {
    // room for the longest Opus packet, 120 ms
    const out = payload instanceof Uint8Array && this.dec ? this.dec.decode(payload, (120 * this.sampleRate) / 1000) : null;
    return out ?? this.conceal(this.frameSamples);
  }

  /** Opus PLC for a lost frame of `samples` samples (a multiple of 2.5 ms). */
  conceal(samples: number): Int16Array {
    return this.dec?.decode(null, samples) ?? new Int16Array(samples);
  }

  /**
   * In-band FEC: rebuild the lost frame from the LBRR data in the packet that follows it.
   * Returns null when `nextPayload` carries no FEC (the decoder then conceals).
   */
  decodeFec(nextPayload: Uint8Array, samples: number): Int16Array | null {
    if (!this.dec || !(nextPayload instanceof Uint8Array) || !hasLbrr(nextPayload)) return null;
    return this.dec.decode(nextPayload, samples, true);
  }

  close(): void {
    this.enc?.drop?.();
    this.enc = null;
    this.dec?.close();
    this.dec = null;
  }
}

/**
 * Does this packet carry SILK LBRR (in-band FEC) data? RFC 6716 3.1 TOC: configurations 0..15 are
 * SILK-only or hybrid, whose first SILK frame header has the LBRR flag (4.2.3). Without it libopus
 * would silently conceal instead, and the caller could not tell.
 */
export function hasLbrr(packet: Uint8Array): boolean {
  if (packet.length < 2) return false;
  const toc = packet[0];
  const config = toc >> 3;
  if (config >= 16) return false; // CELT-only: no FEC
  const code = toc & 3;
  // frame data start: code 0/1 right after the TOC; code 2 after a 1-2 byte length; code 3 after
  // the frame count byte (and padding/lengths), handled approximately by looking at the first frame.
  let off = 1;
  if (code === 2) off += packet[1] >= 252 ? 2 : 1;
  else if (code === 3) {
    if (packet.length < 3) return false;
    const fc = packet[1];
    off = 2;
    if (fc & 0x40) {
      // padding length bytes
      while (off < packet.length && packet[off] === 255) off++;
      off++;
    }
    if (fc & 0x80) off += packet[off] >= 252 ? 2 : 1; // VBR: first frame's length
  }
  if (off >= packet.length) return false;
  // The SILK layer starts with range-coded VAD and LBRR flags; for a mono 10/20 ms SILK frame the
  // very first symbols decode with uniform probability 1/2 each, so the top bits of the first byte
  // carry them: bit 7 = VAD, bit 6 = LBRR for 20 ms frames (one SILK frame).
  // SILK-only configs 0..11 cycle 10/20/40/60 ms; hybrid 12..15 cycle 10/20 ms
  const frames20 = config < 12 ? config % 4 : config % 2;
  const first = packet[off];
  if (frames20 <= 1) return (first & 0x40) !== 0;
  // 40/60 ms: VAD flags for 2 or 3 frames come first, then the LBRR flag
  const nVad = frames20 === 2 ? 2 : 3;
  return (first & (0x80 >> nVad)) !== 0;
}

/**
 * Encoder settings from the peer's a=fmtp for Opus (RFC 7587 7.1): what it can play back
 * (maxplaybackrate), the bitrate it wants at most (maxaveragebitrate), whether its decoder uses
 * FEC (useinbandfec). Bad values are ignored.
 */
export function opusOptionsFromFmtp(fmtp: Record<string, string>, base: OpusOptions = {}): OpusOptions {
  const out: OpusOptions = { ...base };
  const int = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : undefined);
  const rate = int(fmtp.maxplaybackrate);
  if (rate !== undefined && rate >= 8000 && rate <= 48000) out.maxPlaybackRate = rate;
  const avg = int(fmtp.maxaveragebitrate);
  if (avg !== undefined && avg >= 6000 && avg <= 510000) out.bitrate = Math.min(out.bitrate ?? 32000, avg);
  if (fmtp.useinbandfec === '1') out.inbandFec = true;
  else if (fmtp.useinbandfec === '0') out.inbandFec = false;
  return out;
}
