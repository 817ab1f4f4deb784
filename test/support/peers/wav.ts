/**
 * WAV helpers for lab checks, on top of the daemon's reader/writer (daemon/media/wav.ts), which
 * reads to end of file when a killed writer left the data size at 0 or 0xFFFFFFFF.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseWav, channelOf, encodeWav } from '../../../daemon/util/pcm/wav.js';
import { LabError } from './proc.js';

export interface WavInfo {
  sampleRate: number;
  channels: number;
  frames: number;
}

function load(path: string) {
  const r = parseWav(readFileSync(path));
  if (!r.ok) throw new LabError('LAB_WAV', `${path}: ${r.reason}`);
  return r.wav;
}

/** Samples of the first channel plus the rate. */
export function readWavMono(path: string): { sampleRate: number; channels: number; samples: Int16Array } {
  const wav = load(path);
  return { sampleRate: wav.sampleRate, channels: wav.channels, samples: channelOf(wav, 0) };
}

export function wavInfo(path: string): WavInfo {
  const wav = load(path);
  return { sampleRate: wav.sampleRate, channels: wav.channels, frames: wav.frames };
}

/** Write 16-bit PCM WAV (interleaved if channels > 1). */
export function writeWav(path: string, samples: Int16Array, sampleRate: number, channels = 1): void {
  writeFileSync(path, encodeWav(samples, sampleRate, channels));
}

/** A sine tone as 16-bit mono samples. */
export function sineSamples(freq: number, seconds: number, sampleRate: number, amplitude = 0.5): Int16Array {
  const n = Math.round(seconds * sampleRate);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * freq * i) / sampleRate));
  return out;
}
