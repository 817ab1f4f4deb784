import { describe, expect, it } from 'vitest';
import { parseRtp, type RtpPacket } from '../../../daemon/media/rtp-packet.js';
import { RtpReceiver, RtpSender } from '../../../daemon/media/rtp-session.js';
import { FakeClock } from '../../support/fake-clock.js';

const PEER = { address: '192.0.2.10', port: 40000 };
const OTHER = { address: '198.51.100.7', port: 5004 };

function pkt(seq: number, timestamp: number, extra: Partial<RtpPacket> = {}): RtpPacket {
  return {
    marker: false,
    payloadType: 0,
    seq: seq & 0xffff,
    timestamp: timestamp >>> 0,
    ssrc: 0x1234,
    padding: false,
    csrcs: [],
    payload: new Uint8Array(160),
    ...extra,
  };
}

function receiver(clock = new FakeClock(), timeoutMs = 0) {
  return new RtpReceiver({
    clock,
    payloadTypes: new Map([
      [0, 8000],
      [101, 8000],
    ]),
    eventPayloadTypes: new Set([101]),
    expected: PEER,
    timeoutMs,
  });
}

describe('rtp receive session', () => {
  it('latches the first source and drops RTP from any other address as bleed', () => {
    const r = receiver();
    expect(r.receive(pkt(1, 0), PEER, 0, 172).accepted).toBe(true);
    expect(r.receive(pkt(2, 160, { ssrc: 99 }), OTHER, 20, 172)).toEqual({ accepted: false, reason: 'bleed' });
    expect(r.receive(pkt(2, 160), PEER, 20, 172).accepted).toBe(true);
    const s = r.stats();
    expect(s.bleed).toBe(1);
    expect(s.latched).toEqual(PEER);
    expect(s.ssrcChanges).toBe(0);
  });

  it('latches a NATed source that is not the SDP address when it speaks first', () => {
    const r = receiver();
    expect(r.receive(pkt(1, 0), OTHER, 0, 172).accepted).toBe(true);
    expect(r.receive(pkt(2, 160), PEER, 20, 172).accepted).toBe(false);
    expect(r.stats().latched).toEqual(OTHER);
  });

  it('with learning, latches the SDP address at once but another source only after N packets in sequence', () => {
    const clock = new FakeClock();
    const mk = () => new RtpReceiver({ clock, payloadTypes: new Map([[0, 8000]]), expected: PEER, learnPackets: 3 });
    const fromSdp = mk();
    expect(fromSdp.receive(pkt(1, 0), PEER, 0, 172).accepted).toBe(true);

    const natted = mk();
    expect(natted.receive(pkt(1, 0), OTHER, 0, 172)).toEqual({ accepted: false, reason: 'learning' });
    expect(natted.receive(pkt(2, 160), OTHER, 20, 172)).toEqual({ accepted: false, reason: 'learning' });
    expect(natted.receive(pkt(3, 320), OTHER, 40, 172).accepted).toBe(true);
    expect(natted.stats().latched).toEqual(OTHER);
    expect(natted.stats().learning).toBe(2);
  });

  it('a stray stream arriving first cannot capture the call when the peer sends from the SDP address', () => {
    const clock = new FakeClock();
    const r = new RtpReceiver({ clock, payloadTypes: new Map([[0, 8000]]), expected: PEER, learnPackets: 3 });
    // stale RTP from the previous call on this port, out of sequence / single packets
    expect(r.receive(pkt(900, 0, { ssrc: 5 }), OTHER, 0, 172).accepted).toBe(false);
    expect(r.receive(pkt(1, 0), PEER, 5, 172).accepted).toBe(true);
    expect(r.receive(pkt(901, 160, { ssrc: 5 }), OTHER, 20, 172)).toEqual({ accepted: false, reason: 'bleed' });
    expect(r.stats().latched).toEqual(PEER);
  });

  it('a new SDP address on re-INVITE drops the latch', () => {
    const r = receiver();
    r.receive(pkt(1, 0), PEER, 0, 172);
    r.update({ expected: OTHER });
    expect(r.receive(pkt(2, 160), OTHER, 20, 172).accepted).toBe(true);
    expect(r.stats().latched).toEqual(OTHER);
  });

  it('extends sequence numbers across the 16-bit wrap without counting loss', () => {
    const r = receiver();
    let ts = 0;
    for (let i = 0; i < 200; i++) {
      const seq = (65500 + i) & 0xffff;
      expect(r.receive(pkt(seq, ts), PEER, i * 20, 172).accepted).toBe(true);
      ts += 160;
    }
    const s = r.stats();
    expect(s.cycles).toBe(1);
    expect(s.extendedMaxSeq).toBe(65536 + ((65500 + 199) & 0xffff));
    expect(s.cumulativeLost).toBe(0);
    expect(s.lossRatio).toBe(0);
  });

  it('counts lost packets cumulatively and as a fraction per report', () => {
    const r = receiver();
    for (let i = 0; i < 100; i++) if (i % 10 !== 5) r.receive(pkt(1000 + i, i * 160), PEER, i * 20, 172);
    const s = r.stats();
    expect(s.cumulativeLost).toBe(10);
    const rep = r.receptionReport()!;
    expect(rep.cumulativeLost).toBe(10);
    // base_seq is the second packet (A.1 probation): 99 expected in the interval
    expect(rep.fractionLost).toBe(Math.floor((10 * 256) / 99));
    // next interval without loss reports 0
    for (let i = 100; i < 150; i++) r.receive(pkt(1000 + i, i * 160), PEER, i * 20, 172);
    expect(r.receptionReport()!.fractionLost).toBe(0);
  });

  it('drops a packet with a random far-away sequence number and keeps the stream', () => {
    const r = receiver();
    for (let i = 0; i < 10; i++) r.receive(pkt(100 + i, i * 160), PEER, i * 20, 172);
    expect(r.receive(pkt(40000, 1600), PEER, 200, 172)).toEqual({ accepted: false, reason: 'bad-seq' });
    expect(r.receive(pkt(110, 1600), PEER, 200, 172).accepted).toBe(true);
    expect(r.stats().badSeq).toBe(1);
    expect(r.stats().cumulativeLost).toBe(0);
  });

  it('resynchronises after two sequential packets with a jumped sequence (sender restart)', () => {
    const r = receiver();
    for (let i = 0; i < 10; i++) r.receive(pkt(100 + i, i * 160), PEER, i * 20, 172);
    expect(r.receive(pkt(30000, 0), PEER, 200, 172).accepted).toBe(false);
    expect(r.receive(pkt(30001, 160), PEER, 220, 172).accepted).toBe(true);
    expect(r.receive(pkt(30002, 320), PEER, 240, 172).accepted).toBe(true);
    expect(r.stats().extendedMaxSeq).toBe(30002);
  });

  it('resets tracking on an SSRC change and counts it', () => {
    const r = receiver();
    const changes: unknown[] = [];
    r.on('ssrcChange', (e) => changes.push(e));
    for (let i = 0; i < 5; i++) r.receive(pkt(100 + i, i * 160), PEER, i * 20, 172);
    const res = r.receive(pkt(9000, 5000, { ssrc: 0x5678 }), PEER, 100, 172);
    expect(res).toMatchObject({ accepted: true, ssrcChanged: true });
    expect(changes).toEqual([{ from: 0x1234, to: 0x5678 }]);
    expect(r.stats().ssrcChanges).toBe(1);
    expect(r.stats().ssrc).toBe(0x5678);
  });

  it('telephone-event under a different SSRC does not reset the audio stream', () => {
    const r = receiver();
    for (let i = 0; i < 5; i++) r.receive(pkt(100 + i, i * 160), PEER, i * 20, 172);
    const ev = r.receive(pkt(7, 800, { ssrc: 0x9999, payloadType: 101 }), PEER, 100, 16);
    expect(ev).toMatchObject({ accepted: true, ssrcChanged: false });
    expect(r.receive(pkt(105, 800), PEER, 100, 172)).toMatchObject({ accepted: true, ssrcChanged: false });
    expect(r.stats().ssrcChanges).toBe(0);
    expect(r.stats().ssrc).toBe(0x1234);
  });

  it('drops and counts unknown payload types', () => {
    const r = receiver();
    expect(r.receive(pkt(1, 0, { payloadType: 18 }), PEER, 0, 172)).toEqual({ accepted: false, reason: 'unknown-pt' });
    expect(r.stats().unknownPayloadType).toBe(1);
    expect(r.stats().packetsReceived).toBe(0);
  });

  it('interarrival jitter is zero for perfectly paced packets and grows with arrival variation (A.8)', () => {
    const steady = receiver();
    for (let i = 0; i < 100; i++) steady.receive(pkt(i, i * 160), PEER, i * 20, 172);
    expect(steady.stats().jitter).toBe(0);

    const jittery = receiver();
    for (let i = 0; i < 400; i++) jittery.receive(pkt(i, i * 160), PEER, i * 20 + (i % 2 ? 10 : 0), 172);
    // alternating 10 ms offsets: |D| = 80 samples every packet, so J converges to 80 (10 ms)
    expect(jittery.stats().jitter).toBeGreaterThan(75);
    expect(jittery.stats().jitter).toBeLessThanOrEqual(80);
    expect(jittery.stats().jitterMs).toBeCloseTo(10, 0);
  });

  it('does not compute jitter on telephone-event packets (their timestamp stays put)', () => {
    const r = receiver();
    for (let i = 0; i < 20; i++) r.receive(pkt(i, 8000, { payloadType: 101 }), PEER, i * 20, 16);
    expect(r.stats().jitter).toBe(0);
  });

  it('emits rtpTimeout once after N ms without packets, and again after media resumes and stops', () => {
    const clock = new FakeClock();
    const r = receiver(clock, 3000);
    const timeouts: number[] = [];
    r.on('rtpTimeout', (e) => timeouts.push(e.silentMs));
    r.start();
    for (let i = 0; i < 50; i++) {
      r.receive(pkt(i, i * 160), PEER, clock.now(), 172);
      clock.advance(20);
    }
    clock.advance(2900);
    expect(timeouts).toEqual([]);
    clock.advance(200);
    expect(timeouts.length).toBe(1);
    expect(timeouts[0]).toBeGreaterThanOrEqual(3000);
    clock.advance(10000);
    expect(timeouts.length).toBe(1);
    r.receive(pkt(50, 50 * 160), PEER, clock.now(), 172);
    clock.advance(3000);
    expect(timeouts.length).toBe(2);
    r.stop();
    expect(clock.pending).toBe(0);
  });

  it('times out when nothing ever arrives', () => {
    const clock = new FakeClock();
    const r = receiver(clock, 5000);
    let fired = 0;
    r.on('rtpTimeout', () => fired++);
    r.start();
    clock.advance(4999);
    expect(fired).toBe(0);
    clock.advance(1);
    expect(fired).toBe(1);
  });
});

describe('rtp send session', () => {
  it('marks the first packet, increments seq by one and timestamp by the frame size', () => {
    const s = new RtpSender({ payloadType: 0, random: () => 0.5 });
    const a = parseRtp(s.audio(new Uint8Array(160), 160));
    const b = parseRtp(s.audio(new Uint8Array(160), 160));
    if (!a.ok || !b.ok) throw new Error('parse');
    expect(a.packet.marker).toBe(true);
    expect(b.packet.marker).toBe(false);
    expect(b.packet.seq).toBe((a.packet.seq + 1) & 0xffff);
    expect((b.packet.timestamp - a.packet.timestamp) >>> 0).toBe(160);
    expect(a.packet.ssrc).toBe(s.ssrc);
  });

  it('marks the first packet after silence, with the timestamp advanced over the gap', () => {
    const s = new RtpSender({ payloadType: 0 });
    const first = parseRtp(s.audio(new Uint8Array(160), 160));
    s.skip(160);
    s.skip(160);
    const after = parseRtp(s.audio(new Uint8Array(160), 160));
    if (!first.ok || !after.ok) throw new Error('parse');
    expect(after.packet.marker).toBe(true);
    expect((after.packet.timestamp - first.packet.timestamp) >>> 0).toBe(480);
    expect(after.packet.seq).toBe((first.packet.seq + 1) & 0xffff);
  });

  it('wraps sequence and timestamp', () => {
    const vals = [0.99999999, 0.99999999, 0.99999999];
    const s = new RtpSender({ payloadType: 0, random: () => vals.shift() ?? 0 });
    const seqs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const p = parseRtp(s.audio(new Uint8Array(1), 160));
      if (!p.ok) throw new Error('parse');
      seqs.push(p.packet.seq);
    }
    expect(seqs).toEqual([65535, 0, 1]);
    expect(s.timestamp).toBeLessThan(1000);
    expect(s.stats().packetsSent).toBe(3);
    expect(s.stats().payloadBytesSent).toBe(3);
    expect(s.stats().bytesSent).toBe(3 * 13);
  });

  it('uses random SSRCs', () => {
    const set = new Set(Array.from({ length: 20 }, () => new RtpSender({ payloadType: 0 }).ssrc));
    expect(set.size).toBe(20);
  });
});
