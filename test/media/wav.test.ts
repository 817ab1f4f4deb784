import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { channelOf, encodeWav, parseWav, readWavFile, toMono, writeWavFile } from '../../daemon/util/pcm/wav.js';
import { PortierError } from '../../daemon/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'portier-wav-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ramp = Int16Array.from({ length: 1000 }, (_, i) => (i * 37) % 65536 - 32768);

function parsed(bytes: Uint8Array) {
  const r = parseWav(bytes);
  if (!r.ok) throw new Error(r.reason);
  return r.wav;
}

describe('WAV', () => {
  it('round-trips samples, rate and channels through encodeWav/parseWav', () => {
    const w = parsed(encodeWav(ramp, 16000));
    expect(w.sampleRate).toBe(16000);
    expect(w.channels).toBe(1);
    expect(w.frames).toBe(1000);
    expect(Array.from(w.samples)).toEqual(Array.from(ramp));
    expect(w.truncatedHeader).toBe(false);
  });

  it.each([
    ['0', 0],
    ['0xFFFFFFFF', 0xffffffff],
    ['larger than the file', 1_000_000],
  ])('reads to end of file when the data size is %s (a killed recorder)', (_l, size) => {
    const bytes = encodeWav(ramp, 8000);
    new DataView(bytes.buffer).setUint32(40, size, true);
    new DataView(bytes.buffer).setUint32(4, size === 0 ? 0 : 0xffffffff, true);
    const w = parsed(bytes);
    expect(w.truncatedHeader).toBe(true);
    expect(Array.from(w.samples)).toEqual(Array.from(ramp));
  });

  it('drops a half sample at the end of a cut file', () => {
    const bytes = encodeWav(ramp, 8000).subarray(0, 44 + 2 * 500 + 1);
    const w = parsed(bytes);
    expect(w.frames).toBe(500);
  });

  it('skips unknown chunks (LIST) written by ffmpeg and reads its samples', () => {
    const path = join(dir, 'ff.wav');
    execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000:duration=0.5', '-ac', '2', '-c:a', 'pcm_s16le', path]);
    return readWavFile(path).then((w) => {
      expect(w.sampleRate).toBe(48000);
      expect(w.channels).toBe(2);
      expect(w.frames).toBe(24000);
      const left = channelOf(w, 0);
      expect(left.length).toBe(24000);
      expect(Math.max(...left)).toBeGreaterThan(2000); // lavfi sine peaks at about 1/8 of full scale
      expect(Array.from(toMono(w).subarray(0, 100))).toEqual(Array.from(left.subarray(0, 100)));
    });
  });

  it('reads a WAVE_FORMAT_EXTENSIBLE PCM file (sox writes one for > 2 channels)', () => {
    const path = join(dir, 'ext.wav');
    execFileSync('sox', ['-n', '-r', '8000', '-c', '3', '-b', '16', path, 'synth', '0.1', 'sine', '440']);
    return readWavFile(path).then((w) => {
      expect(w.channels).toBe(3);
      expect(w.frames).toBe(800);
    });
  });

  it.each([
    ['empty', new Uint8Array(0)],
    ['not RIFF', new TextEncoder().encode('hello world, this is not audio')],
    ['8-bit PCM', (() => { const b = encodeWav(ramp, 8000); new DataView(b.buffer).setUint16(34, 8, true); return b; })()],
    ['no data chunk', encodeWav(ramp, 8000).subarray(0, 36)],
  ])('returns a reason for %s instead of throwing', (_l, bytes) => {
    const r = parseWav(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason.length).toBeGreaterThan(3);
  });

  it('never throws on random bytes after a RIFF/WAVE header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        const head = new TextEncoder().encode('RIFF\0\0\0\0WAVE');
        const b = new Uint8Array(head.length + tail.length);
        b.set(head);
        b.set(tail, head.length);
        expect(typeof parseWav(b).ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('writes a file that ffmpeg reads back with the same samples', async () => {
    const path = join(dir, 'ours.wav');
    await writeWavFile(path, ramp, 16000);
    const raw = execFileSync('ffmpeg', ['-loglevel', 'error', '-i', path, '-f', 's16le', '-']);
    const back = new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    expect(Array.from(back)).toEqual(Array.from(ramp));
  });

  it('fails with AUDIO_FILE_INVALID for a missing or unusable file', async () => {
    await expect(readWavFile(join(dir, 'missing.wav'))).rejects.toMatchObject({ code: 'AUDIO_FILE_INVALID' });
    writeFileSync(join(dir, 'bad.wav'), 'nope');
    await expect(readWavFile(join(dir, 'bad.wav'))).rejects.toBeInstanceOf(PortierError);
  });
});
