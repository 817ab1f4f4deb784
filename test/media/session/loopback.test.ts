import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { PcmuCodec } from '../../../daemon/media/codecs/pcmu.js';
import { MediaSession } from '../../../daemon/media/media-session.js';
import { serializeRtp } from '../../../daemon/media/rtp-packet.js';
import { PortAllocator, RtpSocket } from '../../../daemon/media/rtp-socket.js';
import { systemClock } from '../../../daemon/util/clock.js';
import type { DtmfEvent } from '../../../daemon/media/dtmf.js';
import { RecordingPlayback, ToneCapture, toneShare } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Poll until `cond` holds or `ms` pass (a loaded machine may be slow; a fast one does not wait). */
async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!cond() && performance.now() < end) await sleep(20);
}

describe('media session loopback on 127.0.0.1 (real sockets, real clock)', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const fn of cleanup.splice(0)) fn();
  });

  it('exchanges 1000 Hz and 600 Hz tones with PCMU, each side hears the other, DTMF both ways, bleed counted', async () => {
    const allocator = new PortAllocator('36000-36040');
    const sa = await RtpSocket.open({ allocator, address: '127.0.0.1' });
    const sb = await RtpSocket.open({ allocator, address: '127.0.0.1' });
    expect(allocator.allocated).toBe(2);
    expect(sa.rtpPort % 2).toBe(0);
    const pa = new RecordingPlayback();
    const pb = new RecordingPlayback();
    const common = { clock: systemClock, rtpTimeoutMs: 5000 } as const;
    const a = new MediaSession({
      ...common,
      transport: sa,
      remote: { address: '127.0.0.1', rtpPort: sb.rtpPort },
      codec: { codec: new PcmuCodec(), payloadType: 0, telephoneEventPt: 101 },
      capture: new ToneCapture(1000),
      playback: pa,
      cname: 'a@test',
    });
    const b = new MediaSession({
      ...common,
      transport: sb,
      remote: { address: '127.0.0.1', rtpPort: sa.rtpPort },
      codec: { codec: new PcmuCodec(), payloadType: 0, telephoneEventPt: 101 },
      capture: new ToneCapture(600),
      playback: pb,
      cname: 'b@test',
    });
    cleanup.push(() => a.close(), () => b.close());
    const digitsAtA: DtmfEvent[] = [];
    const digitsAtB: DtmfEvent[] = [];
    a.on('digit', (d) => digitsAtA.push(d));
    b.on('digit', (d) => digitsAtB.push(d));
    a.start();
    b.start();

    // a third party sprays RTP at A's port once A has latched onto B
    await sleep(300);
    const intruder = dgram.createSocket('udp4');
    cleanup.push(() => intruder.close());
    await new Promise<void>((r) => intruder.bind(0, '127.0.0.1', () => r()));
    for (let i = 0; i < 5; i++) {
      intruder.send(serializeRtp({ marker: false, payloadType: 0, seq: i, timestamp: i * 160, ssrc: 0xbad }, new Uint8Array(160).fill(0x80)), sa.rtpPort, '127.0.0.1');
    }
    await sleep(800);

    // each side hears the other's tone, not its own
    const atA = pa.samples(600);
    const atB = pb.samples(600);
    expect(toneShare(atA, 600, 8000)).toBeGreaterThan(0.5);
    expect(toneShare(atA, 1000, 8000)).toBeLessThan(0.05);
    expect(toneShare(atB, 1000, 8000)).toBeGreaterThan(0.5);
    expect(toneShare(atB, 600, 8000)).toBeLessThan(0.05);

    expect(a.sendDigits('1#', 100)).toEqual({ ok: true });
    expect(b.sendDigits('9', 100)).toEqual({ ok: true });
    await until(() => digitsAtB.length >= 2 && digitsAtA.length >= 1, 3000);
    await sleep(100); // a duplicate digit would show up by now
    expect(digitsAtB.map((d) => d.digit)).toEqual(['1', '#']);
    expect(digitsAtA.map((d) => d.digit)).toEqual(['9']);
    expect(digitsAtB.every((d) => d.via === 'rfc4733')).toBe(true);

    const st = a.stats();
    expect(st.bleed).toBe(5);
    expect(st.packetsSent).toBeGreaterThan(40);
    expect(st.packetsReceived).toBeGreaterThan(40);
    expect(st.loss).toBe(0);
    expect(st.levelInDbfs).toBeGreaterThan(-20);
    expect(st.levelOutDbfs).toBeGreaterThan(-20);
    expect(st.jitterBuffer.played).toBeGreaterThan(30);
    expect(b.stats().bleed).toBe(0);

    a.close();
    b.close();
    a.close(); // twice is fine
    expect(allocator.allocated).toBe(0);
  });
});
