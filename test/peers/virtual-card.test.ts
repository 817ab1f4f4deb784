import { describe, test, expect } from 'vitest';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { startVirtualCard, rawToSamples, CARD_RATE } from '../support/peers/virtual-card.js';
import { toneBlocks } from '../support/peers/goertzel.js';
import { sineSamples } from '../support/peers/wav.js';
import { run, sleep } from '../support/peers/proc.js';

describe('virtual sound card (PulseAudio null sinks)', () => {
  test('a tone played into vmic is recorded through ALSA default by arecord, and aplay to default reaches vspk.monitor', async () => {
    const card = await startVirtualCard();
    try {
      // microphone path: test -> vmic -> (ALSA default capture = vmic.monitor) -> arecord
      const micOut = join(card.dir, 'mic.raw');
      const rec = run('arecord', ['-q', '-D', 'default', '-t', 'raw', '-f', 'S16_LE', '-r', String(CARD_RATE), '-c', '1', '-d', '2', micOut], { env: card.env, timeoutMs: 8000 });
      await sleep(300);
      await card.playSamples(sineSamples(700, 1, CARD_RATE));
      const r = await rec;
      expect(r.code, r.stderr).toBe(0);
      const mic = rawToSamples(readFileSync(micOut));
      const heard = toneBlocks(mic, CARD_RATE, 700);
      expect(heard.hits * heard.blockSeconds).toBeGreaterThanOrEqual(0.9);
      expect(toneBlocks(mic, CARD_RATE, 1300).hits).toBe(0);

      // speaker path: aplay -> ALSA default playback -> vspk -> vspk.monitor -> test
      const spk = await card.record('vspk.monitor');
      const toneFile = join(card.dir, 'spk.raw');
      const tone = sineSamples(1300, 1, CARD_RATE);
      writeFileSync(toneFile, Buffer.from(tone.buffer));
      const p = await run('aplay', ['-q', '-D', 'default', '-t', 'raw', '-f', 'S16_LE', '-r', String(CARD_RATE), '-c', '1', toneFile], { env: card.env, timeoutMs: 8000 });
      expect(p.code, p.stderr).toBe(0);
      await sleep(200);
      const got = await spk.stop();
      const spkTone = toneBlocks(got, CARD_RATE, 1300);
      expect(spkTone.hits * spkTone.blockSeconds).toBeGreaterThanOrEqual(0.9);
      expect(toneBlocks(got, CARD_RATE, 700).hits).toBe(0);
    } finally {
      await card.stop();
    }
    expect(card.livePids()).toEqual([]);
  });
});
