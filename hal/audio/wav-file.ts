/**
 * WAV file audio drivers: `wav:PATH` as a microphone (mono-mixed, resampled to the HAL rate once at
 * open, looped) and as a speaker (a 16-bit mono WAV written as frames arrive; its header sizes are
 * filled in at close, and readers cope with a header left open by a crash).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { resample } from '../../daemon/util/pcm/resample.js';
import { encodeWav, readWavFile, toMono } from '../../daemon/util/pcm/wav.js';
import { PortierError } from '../../daemon/util/errors.js';
import type { AudioCapture, AudioPlayback } from '../types.js';

export class WavCapture implements AudioCapture {
  readonly driver = 'wav';
  private pcm = new Int16Array(0);
  private pos = 0;

  constructor(
    readonly path: string,
    readonly sampleRate: number,
  ) {}

  async open(): Promise<void> {
    const wav = await readWavFile(this.path);
    const mono = toMono(wav);
    this.pcm = wav.sampleRate === this.sampleRate ? mono : resample(mono, wav.sampleRate, this.sampleRate);
    this.pos = 0;
  }

  /** The file, looped; silence when it is empty or not open. */
  read(samples: number): Int16Array {
    const out = new Int16Array(samples);
    if (this.pcm.length === 0) return out;
    for (let i = 0; i < samples; ) {
      const n = Math.min(samples - i, this.pcm.length - this.pos);
      out.set(this.pcm.subarray(this.pos, this.pos + n), i);
      i += n;
      this.pos = (this.pos + n) % this.pcm.length;
    }
    return out;
  }

  async close(): Promise<void> {
    this.pcm = new Int16Array(0);
  }
}

export class WavPlayback implements AudioPlayback {
  readonly driver = 'wav';
  private fd: number | null = null;
  private dataBytes = 0;
  /** bytes refused after a write error (disk full ...), for status */
  dropped = 0;

  constructor(
    readonly path: string,
    readonly sampleRate: number,
  ) {}

  async open(): Promise<void> {
    try {
      this.fd = openSync(this.path, 'w', 0o640);
    } catch (err) {
      throw new PortierError('AUDIO_DEVICE_MISSING', `cannot write the WAV file ${this.path}: ${(err as Error).message}`);
    }
    // header with sizes 0 until close()
    writeSync(this.fd, encodeWav(new Int16Array(0), this.sampleRate, 1));
    this.dataBytes = 0;
  }

  write(pcm: Int16Array): void {
    if (this.fd === null) return;
    const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    try {
      writeSync(this.fd, bytes);
      this.dataBytes += bytes.length;
    } catch {
      this.dropped += bytes.length;
    }
  }

  async close(): Promise<void> {
    if (this.fd === null) return;
    const header = new DataView(new ArrayBuffer(4));
    try {
      header.setUint32(0, 36 + this.dataBytes, true);
      writeSync(this.fd, new Uint8Array(header.buffer), 0, 4, 4);
      header.setUint32(0, this.dataBytes, true);
      writeSync(this.fd, new Uint8Array(header.buffer), 0, 4, 40);
    } finally {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}
