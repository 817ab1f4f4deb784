/**
 * Minimal WAV reader/writer for lab checks. Reads 16-bit PCM (first channel) to end of file,
 * because a writer that was killed leaves the data size at 0 or 0xFFFFFFFF.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { LabError } from './proc.js';

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  dataOffset: number;
}

export function parseWavHeader(buf: Buffer): WavInfo | { error: string } {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    return { error: 'not a RIFF/WAVE file' };
  }
  let off = 12;
  let fmt: Omit<WavInfo, 'dataOffset'> | undefined;
  while (off + 8 <= buf.length) {
    const id = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ' && off + 24 <= buf.length) {
      fmt = { channels: buf.readUInt16LE(off + 10), sampleRate: buf.readUInt32LE(off + 12), bitsPerSample: buf.readUInt16LE(off + 22) };
    }
    if (id === 'data') {
      if (!fmt) return { error: 'data chunk before fmt chunk' };
      return { ...fmt, dataOffset: off + 8 };
    }
    // size 0 / 0xFFFFFFFF on an unfinished non-data chunk would loop or overrun: bail out.
    if (size === 0xffffffff) return { error: `chunk '${id}' has unknown size` };
    off += 8 + size + (size & 1);
  }
  return { error: 'no data chunk' };
}

/** Samples of the first channel as Int16Array plus the rate. */
export function readWavMono(path: string): { sampleRate: number; channels: number; samples: Int16Array } {
  const buf = readFileSync(path);
  const info = parseWavHeader(buf);
  if ('error' in info) throw new LabError('LAB_WAV', `${path}: ${info.error}`);
  if (info.bitsPerSample !== 16) throw new LabError('LAB_WAV', `${path}: ${info.bitsPerSample}-bit WAV, only 16-bit PCM is supported`);
  const frameBytes = 2 * info.channels;
  const frames = Math.floor((buf.length - info.dataOffset) / frameBytes);
  const samples = new Int16Array(frames);
  for (let i = 0; i < frames; i++) samples[i] = buf.readInt16LE(info.dataOffset + i * frameBytes);
  return { sampleRate: info.sampleRate, channels: info.channels, samples };
}

export function wavInfo(path: string): WavInfo {
  const info = parseWavHeader(readFileSync(path));
  if ('error' in info) throw new LabError('LAB_WAV', `${path}: ${info.error}`);
  return info;
}

/** Write 16-bit PCM WAV (interleaved if channels > 1). */
export function writeWav(path: string, samples: Int16Array, sampleRate: number, channels = 1): void {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) data.writeInt16LE(samples[i], i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([h, data]));
}

/** A sine tone as 16-bit mono samples. */
export function sineSamples(freq: number, seconds: number, sampleRate: number, amplitude = 0.5): Int16Array {
  const n = Math.round(seconds * sampleRate);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * freq * i) / sampleRate));
  return out;
}
