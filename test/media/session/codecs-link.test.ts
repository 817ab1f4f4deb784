import { describe, expect, it } from 'vitest';
import { CODECS, createCodec } from '../../../daemon/media/codecs/registry.js';
import { MediaSession } from '../../../daemon/media/media-session.js';
import type { NetAddress } from '../../../daemon/media/rtp-session.js';
import type { CodecName } from '../../../daemon/media/types.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeTransport, RecordingPlayback, ToneCapture, toneShare } from './helpers.js';

/** Two sessions over a simulated link: fixed delay, every `lossEvery`-th RTP packet lost each way. */
function link(codec: CodecName, deviceRate: number, lossEvery: number) {
  const clock = new FakeClock(1000);
  const info = CODECS[codec];
  const A: NetAddress = { address: '10.0.0.1', port: 20000 };
  const B: NetAddress = { address: '10.0.0.2', port: 30000 };
  const ta = new FakeTransport();
  const tb = new FakeTransport();
  const wire = (from: FakeTransport, to: FakeTransport, src: NetAddress) => {
    let n = 0;
    from.sendRtp = (data) => {
      if (++n % lossEvery === 0) return;
      clock.setTimeout(() => to.rtp(data, src), 15);
    };
    from.sendRtcp = (data) => clock.setTimeout(() => to.rtcp(data, { ...src, port: src.port + 1 }), 15);
  };
  wire(ta, tb, A);
  wire(tb, ta, B);
  const pa = new RecordingPlayback(deviceRate);
  const pb = new RecordingPlayback(deviceRate);
  const mk = (t: FakeTransport, peer: NetAddress, freq: number, pb: RecordingPlayback) =>
    new MediaSession({
      clock,
      transport: t,
      remote: { address: peer.address, rtpPort: peer.port },
      codec: { codec: createCodec(codec), payloadType: info.payloadType, telephoneEventPt: 101 },
      capture: new ToneCapture(freq, deviceRate),
      playback: pb,
    });
  return { clock, a: mk(ta, B, 1000, pa), b: mk(tb, A, 600, pb), pa, pb };
}

describe('each codec end to end over a lossy simulated link (5% loss)', () => {
  const cases: [CodecName, number][] = [
    ['pcma', 8000],
    ['g722', 16000],
    ['opus', 48000],
    ['pcmu', 48000], // device at 48 kHz, codec at 8 kHz: resampled both ways
  ];
  for (const [codec, rate] of cases) {
    it(`${codec} with a ${rate} Hz device: each side hears the other's tone, concealment fills the gaps`, () => {
      const { clock, a, b, pa, pb } = link(codec, rate, 20);
      a.start();
      b.start();
      clock.advance(3000);
      const atA = pa.samples(2000);
      const atB = pb.samples(2000);
      expect(toneShare(atA, 600, rate)).toBeGreaterThan(0.7);
      expect(toneShare(atA, 1000, rate)).toBeLessThan(0.05);
      expect(toneShare(atB, 1000, rate)).toBeGreaterThan(0.7);
      expect(toneShare(atB, 600, rate)).toBeLessThan(0.05);
      const s = a.stats();
      expect(s.codec).toBe(codec);
      expect(s.loss).toBeGreaterThan(0.03);
      expect(s.jitterBuffer.concealed).toBeGreaterThan(0);
      a.close();
      b.close();
      clock.advance(100); // deliver what is in flight (the RTCP BYEs among it) to the closed sessions
      expect(clock.pending).toBe(0);
    });
  }
});
