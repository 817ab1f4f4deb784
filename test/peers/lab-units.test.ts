import { describe, test, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import alawmulaw from 'alawmulaw';
import { NetstringDecoder, encodeNetstring } from '../support/peers/baresip-ctrl.js';
import { goertzelRatio, toneBlocks, toneSeconds } from '../support/peers/goertzel.js';
import { readWavMono, writeWav, sineSamples } from '../support/peers/wav.js';
import { writeTonePcap, linearToUlaw, linearToAlaw } from '../support/peers/pcap.js';
import { parseSippScreen, sippStep } from '../support/peers/sipp.js';
import { phonePorts, sippPorts, kamailioPort, busyPorts } from '../support/peers/ports.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'portier-lab-unit-'));

describe('netstring framing (baresip ctrl_tcp)', () => {
  test('decodes messages split across chunks and several in one chunk', () => {
    const d = new NetstringDecoder();
    const wire = Buffer.concat([encodeNetstring('{"a":1}'), encodeNetstring('{"b":"ü"}')]);
    expect(d.push(wire.subarray(0, 5)).messages).toEqual([]);
    expect(d.push(wire.subarray(5)).messages).toEqual(['{"a":1}', '{"b":"ü"}']);
  });

  test('counts the length in bytes, not characters', () => {
    expect(encodeNetstring('ü').toString()).toBe('2:ü,');
  });

  test('reports bad framing instead of throwing', () => {
    const d = new NetstringDecoder();
    expect(d.push(Buffer.from('x3:abc,')).error).toMatch(/length/);
    expect(d.push(Buffer.from('3:abcX')).error).toMatch(/comma/);
    expect(d.push(Buffer.from('2:ok,')).messages).toEqual(['ok']);
  });
});

describe('Goertzel tone check', () => {
  test('a pure tone gives a ratio near 1 at its frequency and near 0 elsewhere', () => {
    const s = sineSamples(1000, 0.1, 8000);
    expect(goertzelRatio(s, 1000, 8000)).toBeGreaterThan(0.95);
    expect(goertzelRatio(s, 600, 8000)).toBeLessThan(0.05);
  });

  test('counts only the blocks that carry the tone and ignores quiet blocks', () => {
    const rate = 16000;
    const tone = sineSamples(600, 1, rate);
    const quiet = sineSamples(600, 0.5, rate, 0.001); // below 1% of full scale
    const other = sineSamples(1400, 0.5, rate);
    const all = new Int16Array(tone.length + quiet.length + other.length);
    all.set(tone, 0);
    all.set(quiet, tone.length);
    all.set(other, tone.length + quiet.length);
    const r = toneBlocks(all, rate, 600);
    expect(r.blocks).toBe(20);
    expect(r.hits).toBe(10);
  });

  test('reads a WAV whose data size was never finished (0xFFFFFFFF) to end of file', () => {
    const dir = tmp();
    try {
      const f = join(dir, 'cut.wav');
      writeWav(f, sineSamples(800, 1, 8000), 8000);
      const buf = readFileSync(f);
      buf.writeUInt32LE(0xffffffff, 40);
      buf.writeUInt32LE(0, 4);
      writeFileSync(f, buf);
      expect(readWavMono(f).samples.length).toBe(8000);
      expect(toneSeconds(f, 800)).toBeCloseTo(1, 5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('takes the first channel of a stereo WAV', () => {
    const dir = tmp();
    try {
      const f = join(dir, 'st.wav');
      const mono = sineSamples(1000, 0.5, 48000);
      const st = new Int16Array(mono.length * 2);
      for (let i = 0; i < mono.length; i++) st[2 * i] = mono[i]; // right channel silent
      writeWav(f, st, 48000, 2);
      expect(toneSeconds(f, 1000)).toBeCloseTo(0.5, 5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('rejects files that are not WAV with the path and a reason', () => {
    const dir = tmp();
    try {
      const f = join(dir, 'x.wav');
      writeFileSync(f, 'not a wav file at all');
      expect(() => readWavMono(f)).toThrow(/x\.wav: not a RIFF\/WAVE file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('G.711 tone pcap for sipp play_pcap_audio', () => {
  test('mu-law encoder agrees with alawmulaw on every 16-bit value', () => {
    let diff = 0;
    for (let s = -32768; s <= 32767; s++) if (linearToUlaw(s) !== (alawmulaw.mulaw.encodeSample(s) & 0xff)) diff++; // alawmulaw returns ~x unmasked
    expect(diff).toBe(0);
  });

  test('A-law encoder decodes back to within one quantization step everywhere (ties at decision levels may differ from ffmpeg)', () => {
    let mismatches = 0;
    let worst = 0;
    for (let s = -32768; s <= 32767; s++) {
      const code = linearToAlaw(s);
      if (code !== (alawmulaw.alaw.encodeSample(s) & 0xff)) mismatches++;
      const step = Math.max(16, 2 ** (Math.floor(Math.log2(Math.max(1, Math.abs(s)))) - 4));
      worst = Math.max(worst, Math.abs(alawmulaw.alaw.decodeSample(code) - s) / step);
    }
    expect(mismatches).toBeLessThan(256);
    expect(worst).toBeLessThanOrEqual(1);
  });

  test('writes one Ethernet/IPv4/UDP/RTP frame per 20 ms with 160-byte payloads and rising seq/timestamp', () => {
    const dir = tmp();
    try {
      const f = join(dir, 't.pcap');
      expect(writeTonePcap(f, { freq: 1000, seconds: 0.1, codec: 'pcma' })).toBe(5);
      const b = readFileSync(f);
      expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4);
      expect(b.readUInt32LE(20)).toBe(1);
      let off = 24;
      for (let n = 0; n < 5; n++) {
        const len = b.readUInt32LE(off + 8);
        expect(len).toBe(14 + 20 + 8 + 12 + 160);
        expect(b.readUInt32LE(off + 4) + b.readUInt32LE(off) * 1e6).toBe(n * 20000);
        const rtp = off + 16 + 14 + 20 + 8;
        expect(b[rtp] >> 6).toBe(2);
        expect(b[rtp + 1] & 0x7f).toBe(8);
        expect(b.readUInt16BE(rtp + 2)).toBe(n);
        expect(b.readUInt32BE(rtp + 4)).toBe(n * 160);
        off += 16 + len;
      }
      expect(off).toBe(b.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sipp screen parsing', () => {
  const uas = [
    '------------------------------ Scenario Screen -------- [1-9]: Change Screen --',
    '                                 Messages  Retrans   Timeout   Unexpected-Msg',
    '  ----------> INVITE             1         2         0         0',
    '  [   1200ms] Pause              1                             0',
    '  <---------- 200                1         0         0',
    '  ----------> ACK         E-RTD1 1         0         0         0',
    '----------------------------- Statistics Screen ------- [1-9]: Change Screen --',
    '  Total Calls created    |                           |        3',
    '  Successful call        |        0                  |        2',
    '  Failed call            |        0                  |        1',
  ].join('\n');

  test('reads cumulative counters and per-row messages/retransmissions with their direction', () => {
    const s = parseSippScreen(uas);
    expect([s.created, s.successful, s.failed]).toEqual([3, 2, 1]);
    expect(sippStep(s, 'INVITE', true)).toEqual({ name: 'INVITE', received: true, messages: 1, retrans: 2, timeout: 0, unexpected: 0 });
    expect(sippStep(s, '200', false)?.messages).toBe(1);
    expect(sippStep(s, 'ACK', true)?.messages).toBe(1);
  });

  test('UAC rows put the name before the arrow', () => {
    const s = parseSippScreen('       200 <----------  E-RTD1 1         2         0         0\n    REGISTER ---------->         1         0         0');
    expect(sippStep(s, '200', true)?.retrans).toBe(2);
    expect(sippStep(s, 'REGISTER', false)?.messages).toBe(1);
  });
});

describe('port layout', () => {
  test('derives every port from the base port without overlaps', () => {
    const base = 20000;
    const used = [kamailioPort(base)];
    for (let i = 0; i < 20; i++) {
      const p = phonePorts(base, i);
      used.push(p.sip, p.tls, p.ctrl);
      for (let r = p.rtpMin; r <= p.rtpMax; r++) used.push(r);
    }
    for (let j = 0; j < 40; j++) used.push(sippPorts(base, j).sip, sippPorts(base, j).media, sippPorts(base, j).media + 2);
    expect(new Set(used).size).toBe(used.length);
    expect(Math.max(...used)).toBeLessThan(base + 900);
    expect(() => phonePorts(base, 20)).toThrow(/phone index/);
  });

  test('sees a bound UDP port as busy', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const port = sock.address().port;
    try {
      expect(await busyPorts([port])).toEqual([port]);
    } finally {
      sock.close();
    }
  });
});
