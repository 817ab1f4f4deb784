/**
 * A minimal binding to the libopus WebAssembly build that ships inside `@evan/opus`, for the
 * decoder calls its JavaScript wrapper does not expose: packet loss concealment (opus_decode with
 * no data) and in-band FEC (opus_decode with decode_fec = 1). The wasm file is the package's own;
 * only the glue is ours.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface OpusWasmExports {
  memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(ptr: number): void;
  opus_strerror(code: number): number;
  opus_decoder_get_size(channels: number): number;
  opus_decoder_init(st: number, rate: number, channels: number): number;
  opus_decode(st: number, data: number, len: number, pcm: number, frameSize: number, fec: number): number;
  opus_decoder_ctl_set(st: number, cmd: number, value: number): number;
  _initialize?: () => void;
}

/** The smallest WebAssembly module that uses a SIMD instruction (the package's own feature probe). */
const SIMD_PROBE = Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11);

let shared: OpusWasmExports | null = null;

function load(): OpusWasmExports {
  if (shared) return shared;
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('@evan/opus/package.json'));
  const file = WebAssembly.validate(SIMD_PROBE) ? 'simd.wasm' : 'opus.wasm';
  const mod = new WebAssembly.Module(readFileSync(join(pkgDir, 'wasm', file)));
  const noop = (): number => 0;
  const instance = new WebAssembly.Instance(mod, {
    wasi_snapshot_preview1: { fd_seek: noop, fd_write: noop, fd_close: noop, proc_exit: noop },
    env: { emscripten_notify_memory_growth: noop },
  });
  shared = instance.exports as unknown as OpusWasmExports;
  return shared;
}

function errorText(w: OpusWasmExports, code: number): string {
  const u8 = new Uint8Array(w.memory.buffer);
  let s = '';
  for (let p = w.opus_strerror(code); p < u8.length && u8[p] !== 0; p++) s += String.fromCharCode(u8[p]);
  return s || `error ${code}`;
}

/** Largest Opus frame: 120 ms at 48 kHz. */
const MAX_FRAME = 5760;
const MAX_PACKET = 1500;

/** An Opus decoder with concealment and FEC, on the wasm build. Mono or stereo output. */
export class OpusWasmDecoder {
  private readonly w: OpusWasmExports;
  private st: number;
  private readonly pkt: number;
  private readonly pcm: number;

  constructor(
    readonly sampleRate: 8000 | 12000 | 16000 | 24000 | 48000,
    readonly channels: 1 | 2,
  ) {
    this.w = load();
    this.st = this.w.malloc(this.w.opus_decoder_get_size(channels));
    this.pkt = this.w.malloc(MAX_PACKET);
    this.pcm = this.w.malloc(MAX_FRAME * 2 * channels);
    const rc = this.w.opus_decoder_init(this.st, sampleRate, channels);
    if (rc < 0) {
      this.close();
      throw new Error(`opus decoder init: ${errorText(this.w, rc)}`);
    }
  }

  /**
   * Decode `data` (or conceal when it is null) into at most `maxSamples` samples per channel.
   * Returns null on a decoder error (corrupt packet) so callers can fall back to silence.
   */
  decode(data: Uint8Array | null, maxSamples: number, fec = false): Int16Array | null {
    if (!this.st) return null;
    let len = 0;
    if (data) {
      if (data.length === 0 || data.length > MAX_PACKET) return null;
      new Uint8Array(this.w.memory.buffer, this.pkt, data.length).set(data);
      len = data.length;
    }
    const frame = Math.min(MAX_FRAME, Math.max(0, maxSamples | 0));
    const n = this.w.opus_decode(this.st, data ? this.pkt : 0, len, this.pcm, frame, fec ? 1 : 0);
    if (n < 0) return null;
    // copy out: the wasm memory may grow (and detach views) on the next call
    return new Int16Array(this.w.memory.buffer, this.pcm, n * this.channels).slice();
  }

  close(): void {
    if (!this.st) return;
    this.w.free(this.st);
    this.w.free(this.pkt);
    this.w.free(this.pcm);
    this.st = 0;
  }
}
