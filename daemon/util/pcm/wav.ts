/**
 * 16-bit PCM WAV reading and writing. The reader walks the RIFF chunks and never throws: it
 * returns a reason. A recorder that was killed leaves the data size at 0 or 0xFFFFFFFF (or larger
 * than the file), so in those cases the samples are read to the end of the file.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { PortierError } from '../errors.js';

export interface WavAudio {
  sampleRate: number;
  channels: number;
  /** interleaved 16-bit samples */
  samples: Int16Array<ArrayBuffer>;
  /** samples per channel */
  frames: number;
  /** the data chunk's declared size was unusable and the samples were read to end of file */
  truncatedHeader: boolean;
}

export type WavResult = { ok: true; wav: WavAudio } | { ok: false; reason: string };

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

function tag(b: Uint8Array, o: number): string {
  return String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);
}

export function parseWav(bytes: Uint8Array): WavResult {
  if (!(bytes instanceof Uint8Array) || bytes.length < 12) return { ok: false, reason: 'too short for a WAV file' };
  if (tag(bytes, 0) !== 'RIFF' || tag(bytes, 8) !== 'WAVE') return { ok: false, reason: 'not a RIFF/WAVE file' };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: { format: number; channels: number; rate: number; bits: number; align: number } | null = null;
  let o = 12;
  while (o + 8 <= bytes.length) {
    const id = tag(bytes, o);
    const size = dv.getUint32(o + 4, true);
    const body = o + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) return { ok: false, reason: 'the fmt chunk is too short' };
      let format = dv.getUint16(body, true);
      if (format === WAVE_FORMAT_EXTENSIBLE && size >= 40 && body + 26 <= bytes.length) format = dv.getUint16(body + 24, true);
      fmt = { format, channels: dv.getUint16(body + 2, true), rate: dv.getUint32(body + 4, true), align: dv.getUint16(body + 12, true), bits: dv.getUint16(body + 14, true) };
    } else if (id === 'data') {
      if (!fmt) return { ok: false, reason: 'the data chunk comes before the fmt chunk' };
      if (fmt.format !== WAVE_FORMAT_PCM) return { ok: false, reason: `unsupported WAV encoding ${fmt.format} (only PCM)` };
      if (fmt.bits !== 16) return { ok: false, reason: `unsupported sample size ${fmt.bits} bits (only 16)` };
      if (fmt.channels < 1 || fmt.channels > 16) return { ok: false, reason: `unsupported channel count ${fmt.channels}` };
      if (fmt.rate < 1000 || fmt.rate > 384000) return { ok: false, reason: `unsupported sample rate ${fmt.rate}` };
      const available = bytes.length - body;
      // a killed writer leaves 0 or 0xFFFFFFFF; a cut file declares more than there is
      const truncatedHeader = size === 0 || size === 0xffffffff || size > available;
      const len = truncatedHeader ? available : size;
      const frameBytes = 2 * fmt.channels;
      const frames = Math.floor(len / frameBytes);
      const samples = new Int16Array(frames * fmt.channels);
      for (let i = 0; i < samples.length; i++) samples[i] = dv.getInt16(body + 2 * i, true);
      return { ok: true, wav: { sampleRate: fmt.rate, channels: fmt.channels, samples, frames, truncatedHeader } };
    }
    if (size === 0xffffffff) break;
    o = body + size + (size & 1); // chunks are padded to even sizes
  }
  return { ok: false, reason: fmt ? 'no data chunk' : 'no fmt chunk' };
}

/** One channel (default the first) of interleaved samples. */
export function channelOf(wav: Pick<WavAudio, 'samples' | 'channels'>, channel = 0): Int16Array<ArrayBuffer> {
  if (wav.channels === 1) return wav.samples;
  const n = Math.floor(wav.samples.length / wav.channels);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = wav.samples[i * wav.channels + channel];
  return out;
}

/** Average all channels into one. */
export function toMono(wav: Pick<WavAudio, 'samples' | 'channels'>): Int16Array<ArrayBuffer> {
  if (wav.channels === 1) return wav.samples;
  const c = wav.channels;
  const n = Math.floor(wav.samples.length / c);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += wav.samples[i * c + k];
    out[i] = Math.round(s / c);
  }
  return out;
}

/** A canonical 44-byte-header 16-bit PCM WAV. */
export function encodeWav(samples: Int16Array, sampleRate: number, channels = 1): Uint8Array {
  const dataBytes = samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const dv = new DataView(out.buffer);
  const put = (o: number, s: string) => {
    for (let i = 0; i < 4; i++) out[o + i] = s.charCodeAt(i);
  };
  put(0, 'RIFF');
  dv.setUint32(4, 36 + dataBytes, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  dv.setUint32(16, 16, true);
  dv.setUint16(20, WAVE_FORMAT_PCM, true);
  dv.setUint16(22, channels, true);
  dv.setUint32(24, sampleRate, true);
  dv.setUint32(28, sampleRate * channels * 2, true);
  dv.setUint16(32, channels * 2, true);
  dv.setUint16(34, 16, true);
  put(36, 'data');
  dv.setUint32(40, dataBytes, true);
  for (let i = 0; i < samples.length; i++) dv.setInt16(44 + 2 * i, samples[i], true);
  return out;
}

/** Read a WAV file; a missing or unusable file fails with AUDIO_FILE_INVALID and the reason. */
export async function readWavFile(path: string): Promise<WavAudio> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    throw new PortierError('AUDIO_FILE_INVALID', `Cannot read the WAV file ${path}: ${String((err as Error).message ?? err)}`, { cause: err });
  }
  const r = parseWav(bytes);
  if (!r.ok) throw new PortierError('AUDIO_FILE_INVALID', `The file ${path} is not usable: ${r.reason}.`);
  return r.wav;
}

export async function writeWavFile(path: string, samples: Int16Array, sampleRate: number, channels = 1): Promise<void> {
  await writeFile(path, encodeWav(samples, sampleRate, channels));
}
