import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PcmaCodec } from '../../../daemon/media/codecs/pcma.js';
import { PcmuCodec } from '../../../daemon/media/codecs/pcmu.js';
import { MediaClock } from '../../../daemon/media/media-clock.js';
import { MediaSession, mediaParamsFromNegotiated, type MediaSessionOptions } from '../../../daemon/media/media-session.js';
import { buildRr, buildSdes, concatPackets } from '../../../daemon/media/rtcp.js';
import { parseRtp, serializeRtp } from '../../../daemon/media/rtp-packet.js';
import type { NetAddress } from '../../../daemon/media/rtp-session.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeTransport, RecordingPlayback, ToneCapture, toneShare } from './helpers.js';

const PEER: NetAddress = { address: '192.0.2.5', port: 40000 };

function setup(extra: Partial<MediaSessionOptions> = {}) {
  const clock = new FakeClock(1000);
  const transport = new FakeTransport();
  const playback = new RecordingPlayback();
  const session = new MediaSession({
    clock,
    transport,
    remote: { address: PEER.address, rtpPort: PEER.port },
    codec: { codec: new PcmuCodec(), payloadType: 0, telephoneEventPt: 101 },
    capture: new ToneCapture(1000),
    playback,
    rtpTimeoutMs: 2000,
    ...extra,
  });
  return { clock, transport, playback, session };
}

function sentPackets(t: FakeTransport) {
  return t.sentRtp.map((s) => {
    const r = parseRtp(s.data);
    if (!r.ok) throw new Error(r.reason);
    return r.packet;
  });
}

/** Feed `n` frames of a tone as PCMU RTP from `from`, one per 20 ms. */
function feedTone(t: FakeTransport, clock: FakeClock, n: number, opts: { from?: NetAddress; seq0?: number; pt?: number; ssrc?: number; freq?: number } = {}) {
  const cap = new ToneCapture(opts.freq ?? 600);
  const codec = new PcmuCodec();
  for (let i = 0; i < n; i++) {
    const payload = codec.encode(cap.read(160));
    t.rtp(serializeRtp({ marker: i === 0, payloadType: opts.pt ?? 0, seq: ((opts.seq0 ?? 500) + i) & 0xffff, timestamp: 16000 + i * 160, ssrc: opts.ssrc ?? 77 }, payload), opts.from ?? PEER);
    clock.advance(20);
  }
}

describe('media session (fake transport, fake clock)', () => {
  it('sends one PCMU frame per 20 ms tick with the marker on the first', () => {
    const { clock, transport, session } = setup();
    session.start();
    clock.advance(200);
    const pkts = sentPackets(transport);
    expect(pkts.length).toBe(10);
    expect(pkts.map((p) => p.marker)).toEqual([true, false, false, false, false, false, false, false, false, false]);
    expect(pkts.every((p) => p.payload.length === 160 && p.payloadType === 0)).toBe(true);
    expect(transport.sentRtp[0].to).toEqual(PEER);
  });

  it('plays the received tone and answers to the latched source (symmetric RTP)', () => {
    const { clock, transport, playback, session } = setup();
    session.start();
    const natted = { address: '203.0.113.9', port: 61000 };
    const latched: unknown[] = [];
    session.on('latched', (e) => latched.push(e));
    feedTone(transport, clock, 50, { from: natted });
    expect(latched).toEqual([natted]);
    expect(toneShare(playback.samples(400), 600, 8000)).toBeGreaterThan(0.5);
    expect(transport.sentRtp.at(-1)!.to).toEqual(natted);
    expect(session.stats().learning).toBe(2); // a non-SDP source is latched after 3 in sequence
  });

  it('with symmetricRtp off, keeps sending to the SDP address after latching another source', () => {
    const { clock, transport, session } = setup({ symmetricRtp: false });
    session.start();
    feedTone(transport, clock, 10, { from: { address: '203.0.113.9', port: 61000 } });
    expect(session.stats().packetsReceived).toBe(8);
    expect(transport.sentRtp.every((p) => p.to.address === PEER.address && p.to.port === PEER.port)).toBe(true);
  });

  it('hold (recvonly) stops sending; resuming marks the first packet and keeps the timestamp running', () => {
    const { clock, transport, session } = setup();
    session.start();
    clock.advance(100);
    const before = sentPackets(transport);
    session.update({ direction: 'recvonly' });
    clock.advance(1000);
    expect(sentPackets(transport).length).toBe(before.length);
    session.update({ direction: 'sendrecv' });
    clock.advance(20);
    const after = sentPackets(transport).at(-1)!;
    expect(after.marker).toBe(true);
    expect((after.timestamp - before.at(-1)!.timestamp) >>> 0).toBe(160 * 51);
    expect(after.seq).toBe((before.at(-1)!.seq + 1) & 0xffff);
  });

  it('sendonly does not play received audio; inactive neither sends nor plays', () => {
    const { clock, transport, playback, session } = setup({ direction: 'sendonly' });
    session.start();
    feedTone(transport, clock, 20);
    expect(playback.frames.length).toBe(0);
    expect(sentPackets(transport).length).toBe(20);
    session.update({ direction: 'inactive' });
    feedTone(transport, clock, 20, { seq0: 520 });
    expect(playback.frames.length).toBe(0);
    expect(sentPackets(transport).length).toBe(20);
    expect(session.sendDigits('1').ok).toBe(false);
  });

  it('switches codec on re-INVITE: sends PCMA with PT 8 and decodes PCMA', () => {
    const { clock, transport, playback, session } = setup();
    session.start();
    clock.advance(40);
    session.update({ codec: { codec: new PcmaCodec(), payloadType: 8, telephoneEventPt: 101 } });
    clock.advance(40);
    expect(sentPackets(transport).map((p) => p.payloadType)).toEqual([0, 0, 8, 8]);
    // PCMU now counts as an unknown payload type
    feedTone(transport, clock, 3);
    expect(session.stats().unknownPayloadType).toBe(3);
    const alaw = new PcmaCodec();
    const cap = new ToneCapture(600);
    for (let i = 0; i < 40; i++) {
      transport.rtp(serializeRtp({ marker: false, payloadType: 8, seq: 900 + i, timestamp: i * 160, ssrc: 78 }, alaw.encode(cap.read(160))), PEER);
      clock.advance(20);
    }
    expect(toneShare(playback.samples(300), 600, 8000)).toBeGreaterThan(0.5);
    expect(session.stats().codec).toBe('pcma');
  });

  it('reports rtpTimeout after the configured silence', () => {
    const { clock, transport, session } = setup();
    const timeouts: number[] = [];
    session.on('rtpTimeout', (e) => timeouts.push(e.silentMs));
    session.start();
    feedTone(transport, clock, 10);
    clock.advance(1900);
    expect(timeouts).toEqual([]);
    clock.advance(200);
    expect(timeouts.length).toBe(1);
  });

  it('receives RFC 4733 digits and INFO digits through one `digit` event', () => {
    const { clock, transport, session } = setup();
    const digits: string[] = [];
    session.on('digit', (d) => digits.push(`${d.digit}/${d.via}`));
    session.start();
    feedTone(transport, clock, 5);
    for (const [i, end] of [false, false, true, true, true].entries()) {
      transport.rtp(serializeRtp({ marker: i === 0, payloadType: 101, seq: 505 + i, timestamp: 16800, ssrc: 77 }, new Uint8Array([3, end ? 0x8a : 0x0a, 0, 160])), PEER);
    }
    expect(session.receiveInfo('application/dtmf-relay', 'Signal=#\r\nDuration=160').ok).toBe(true);
    expect(session.receiveInfo('application/dtmf-relay', 'nonsense').ok).toBe(false);
    expect(digits).toEqual(['3/rfc4733', '#/info']);
    expect(session.stats().digitsReceived).toBe(2);
  });

  it('audio resumes cleanly after the peer pauses it for a telephone-event (shared sequence space)', () => {
    const { clock, transport, playback, session } = setup();
    const digits: string[] = [];
    session.on('digit', (d) => digits.push(d.digit));
    session.start();
    const codec = new PcmuCodec();
    const cap = new ToneCapture(600);
    let seq = 100;
    let ts = 0;
    const audio = (n: number) => {
      for (let i = 0; i < n; i++, ts += 160) {
        transport.rtp(serializeRtp({ marker: false, payloadType: 0, seq: seq++, timestamp: ts, ssrc: 3 }, codec.encode(cap.read(160))), PEER);
        clock.advance(20);
      }
    };
    audio(50);
    const evTs = ts;
    for (let i = 0; i < 8; i++) {
      const end = i >= 5;
      const dur = Math.min(i, 5) * 160;
      transport.rtp(serializeRtp({ marker: i === 0, payloadType: 101, seq: seq++, timestamp: evTs, ssrc: 3 }, new Uint8Array([8, end ? 0x8a : 0x0a, dur >> 8, dur & 0xff])), PEER);
      if (i < 5) clock.advance(20); // the three end packets go out back to back
    }
    ts = evTs + 5 * 160; // audio resumes where the event ended
    audio(50);
    expect(digits).toEqual(['8']);
    expect(session.stats().jitterBuffer.resets).toBe(0);
    expect(toneShare(playback.samples(600), 600, 8000)).toBeGreaterThan(0.8);
  });

  it('sends DTMF as telephone-event with audio paused, then resumes audio with a marker', () => {
    const { clock, transport, session } = setup({ dtmf: { packetIntervalMs: 20, gapMs: 40 } });
    session.start();
    clock.advance(40);
    expect(session.sendDigits('7', 100).ok).toBe(true);
    clock.advance(300);
    const pkts = sentPackets(transport);
    const te = pkts.filter((p) => p.payloadType === 101);
    expect(te.length).toBe(8); // start + 4 updates + 3 ends
    expect(te[0].marker).toBe(true);
    expect(new Set(te.map((p) => p.timestamp)).size).toBe(1);
    const firstTe = pkts.findIndex((p) => p.payloadType === 101);
    const resumed = pkts.findIndex((p, i) => i > firstTe && p.payloadType === 0);
    expect(pkts[resumed].marker).toBe(true);
    // sequence numbers stay contiguous across audio and events
    for (let i = 1; i < pkts.length; i++) expect(pkts[i].seq).toBe((pkts[i - 1].seq + 1) & 0xffff);
  });

  it('sends RTCP to port + 1, or to the RTP port with rtcp-mux, and accepts muxed RTCP', () => {
    const plain = setup();
    plain.session.start();
    plain.clock.advance(12_000);
    expect(plain.transport.sentRtcp.length).toBeGreaterThan(0);
    expect(plain.transport.sentRtcp[0].to).toEqual({ address: PEER.address, port: PEER.port + 1 });

    const mux = setup({ remote: { address: PEER.address, rtpPort: PEER.port, rtcpMux: true } });
    mux.session.start();
    mux.clock.advance(12_000);
    expect(mux.transport.sentRtcp[0].to).toEqual(PEER);
    mux.transport.rtp(concatPackets([buildRr(0x99), buildSdes(0x99, 'peer@x')]), PEER);
    expect(mux.session.stats().rtcp.remoteCname).toBe('peer@x');
    expect(mux.session.stats().malformed).toBe(0);
  });

  it('bad input is dropped and counted, never thrown, and memory stays bounded', () => {
    const { clock, transport, session } = setup();
    session.start();
    feedTone(transport, clock, 10);
    const valid = (seq: number, extra: number[] = []) => serializeRtp({ marker: false, payloadType: 0, seq, timestamp: seq * 160, ssrc: 77 }, new Uint8Array([...extra, ...new Array(160).fill(0xff)]));
    const table: [string, Uint8Array][] = [
      ['wrong version', Uint8Array.from(valid(600), (b, i) => (i === 0 ? 0x40 : b))],
      ['padding past the end', Uint8Array.from(valid(601), (b, i) => (i === 0 ? 0xa0 : i === 171 ? 250 : b))],
      ['CSRC count past the end', Uint8Array.from(valid(602).subarray(0, 20), (b, i) => (i === 0 ? 0x8f : b))],
      ['extension past the end', Uint8Array.from(valid(603).subarray(0, 16), (b, i) => (i === 0 ? 0x90 : i === 14 ? 0xff : b))],
      ['truncated', new Uint8Array([0x80, 0])],
    ];
    for (const [, buf] of table) expect(() => transport.rtp(buf, PEER)).not.toThrow();
    expect(session.stats().malformed).toBe(table.length);
    // an extension is skipped, not rejected
    const withExt = valid(510);
    const ext = new Uint8Array(withExt.length + 8);
    ext.set(withExt.subarray(0, 12));
    ext[0] |= 0x10;
    ext.set([0xbe, 0xde, 0, 1, 0x10, 1, 0, 0], 12);
    ext.set(withExt.subarray(12), 20);
    const before = session.stats().packetsReceived;
    transport.rtp(ext, PEER);
    expect(session.stats().packetsReceived).toBe(before + 1);
    // unknown PT and a random sequence number
    transport.rtp(serializeRtp({ marker: false, payloadType: 18, seq: 511, timestamp: 0, ssrc: 77 }, new Uint8Array(20)), PEER);
    transport.rtp(serializeRtp({ marker: false, payloadType: 0, seq: 40000, timestamp: 0, ssrc: 77 }, new Uint8Array(160)), PEER);
    expect(session.stats().unknownPayloadType).toBe(1);
    // RTCP garbage on the RTCP port
    transport.rtcp(new Uint8Array([0x81, 201, 0, 0]), PEER);
    transport.rtcp(new Uint8Array(50).fill(0x80), PEER);
    expect(session.stats().rtcp.malformed).toBe(2);
    // a flood of random datagrams: no throw, jitter buffer stays bounded
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        transport.rtp(bytes, PEER);
        transport.rtcp(bytes, PEER);
      }),
      { numRuns: 3000 },
    );
    for (let i = 0; i < 3000; i++) transport.rtp(valid((512 + i * 7) & 0xffff), PEER);
    clock.advance(100);
    expect(session.stats().jitterBuffer.depthFrames).toBeLessThan(100);
  });

  it('close() sends an RTCP BYE, closes the transport once, and stops all timers', () => {
    const { clock, transport, session } = setup();
    session.start();
    clock.advance(100);
    session.close();
    session.close();
    expect(transport.closed).toBe(1);
    expect(clock.pending).toBe(0);
    const last = transport.sentRtcp.at(-1)!.data;
    expect(last.some((_, i) => last[i] === 0x81 && last[i + 1] === 203)).toBe(true);
    const n = transport.sentRtp.length;
    clock.advance(1000);
    expect(transport.sentRtp.length).toBe(n);
    session.start(); // closed is final
    clock.advance(1000);
    expect(transport.sentRtp.length).toBe(n);
    expect(clock.pending).toBe(0);
  });

  it('sessions can share one media clock; closing one leaves the other ticking', () => {
    const clock = new FakeClock();
    const mediaClock = new MediaClock({ clock, intervalMs: 20 });
    const t1 = new FakeTransport();
    const t2 = new FakeTransport();
    const mk = (t: FakeTransport) =>
      new MediaSession({ clock, transport: t, mediaClock, remote: { address: PEER.address, rtpPort: PEER.port }, codec: { codec: new PcmuCodec(), payloadType: 0 } });
    const s1 = mk(t1);
    const s2 = mk(t2);
    s1.start();
    s2.start();
    clock.advance(100);
    s1.close();
    clock.advance(100);
    expect(t1.sentRtp.length).toBe(5);
    expect(t2.sentRtp.length).toBe(10);
    expect(mediaClock.stats().running).toBe(true);
    s2.close();
    mediaClock.stop();
  });

  it('plays a peer sending 30 ms packets without gaps (ticks stay 20 ms)', () => {
    const { clock, transport, playback, session } = setup({
      codec: { codec: new PcmuCodec(), payloadType: 0, recvPtimeMs: 30 },
    });
    session.start();
    const cap = new ToneCapture(600);
    const codec = new PcmuCodec();
    // a packet every 30 ms, on a 10 ms grid so arrivals interleave with the 20 ms ticks
    for (let i = 0; i < 100; i++) {
      transport.rtp(serializeRtp({ marker: false, payloadType: 0, seq: 10 + i, timestamp: i * 240, ssrc: 5 }, codec.encode(cap.read(240))), PEER);
      clock.advance(30);
    }
    expect(playback.frames.every((f) => f.length === 160)).toBe(true);
    const s = session.stats();
    expect(s.jitterBuffer.concealed).toBe(0);
    expect(toneShare(playback.samples(1000), 600, 8000)).toBeGreaterThan(0.9);
  });

  it('sends 40 ms packets every other tick when ptime is 40', () => {
    const { clock, transport, session } = setup({ codec: { codec: new PcmuCodec(), payloadType: 0, ptimeMs: 40 } });
    session.start();
    clock.advance(400); // 20 ticks
    const pkts = sentPackets(transport);
    expect(pkts.length).toBe(10);
    expect(pkts.every((p) => p.payload.length === 320)).toBe(true);
    expect((pkts[1].timestamp - pkts[0].timestamp) >>> 0).toBe(320);
  });

  it('resamples a 16 kHz capture to the 8 kHz codec, whatever sizes the resampler returns', () => {
    // a crude decimator that returns alternately one sample more and one less than half
    let odd = false;
    const createResampler = (from: number, to: number) => ({
      process(pcm: Int16Array): Int16Array {
        expect([from, to]).toEqual([16000, 8000]);
        const n = pcm.length / 2 + ((odd = !odd) ? 1 : -1);
        return Int16Array.from({ length: n }, (_, i) => pcm[Math.min(pcm.length - 1, i * 2)]);
      },
    });
    const { clock, transport, session } = setup({ capture: new ToneCapture(1000, 16000), playback: null, createResampler });
    session.start();
    clock.advance(400);
    const pkts = sentPackets(transport);
    expect(pkts.length).toBeGreaterThanOrEqual(19);
    expect(pkts.every((p) => p.payload.length === 160)).toBe(true);
  });

  it('uses the polyphase resampler by default: 48 kHz device, 8 kHz codec, both ways', () => {
    const { clock, transport, session } = setup({ capture: new ToneCapture(1000, 48000), playback: new RecordingPlayback(48000) });
    const playback = new RecordingPlayback(48000);
    const s2 = setup({ playback });
    s2.session.start();
    session.start();
    clock.advance(600);
    const sent = sentPackets(transport);
    expect(sent.length).toBe(30);
    const pcmu = new PcmuCodec();
    const decoded = Int16Array.from(sent.slice(10).flatMap((p) => [...pcmu.decode(p.payload)]));
    expect(toneShare(decoded, 1000, 8000)).toBeGreaterThan(0.9);
    feedTone(s2.transport, s2.clock, 50);
    const out = playback.samples(400);
    expect(playback.frames.every((f) => f.length === 960)).toBe(true);
    expect(toneShare(out, 600, 48000)).toBeGreaterThan(0.9);
  });

  it('suspends the RTP timeout while the peer is not supposed to send (inactive), and resumes it', () => {
    const { clock, transport, session } = setup();
    let timeouts = 0;
    session.on('rtpTimeout', () => timeouts++);
    session.start();
    feedTone(transport, clock, 5);
    session.update({ direction: 'inactive' });
    clock.advance(10_000);
    expect(timeouts).toBe(0);
    session.update({ direction: 'sendrecv' });
    clock.advance(1_900);
    expect(timeouts).toBe(0);
    clock.advance(200);
    expect(timeouts).toBe(1);
  });

  it('sends nothing, RTP or RTCP, to c=0.0.0.0 (RFC 2543 hold)', () => {
    const { clock, transport, session } = setup({ remote: { address: '0.0.0.0', rtpPort: 4000 } });
    session.start();
    clock.advance(10_000);
    expect(transport.sentRtp.length).toBe(0);
    expect(transport.sentRtcp.length).toBe(0);
  });

  it('levels: about -15 dBFS for an 8000-amplitude tone out, -100 for silence in', () => {
    const { clock, session } = setup();
    session.start();
    clock.advance(1000);
    const s = session.stats();
    expect(s.levelOutDbfs).toBeGreaterThan(-16.5);
    expect(s.levelOutDbfs).toBeLessThan(-14);
    expect(s.levelInDbfs).toBe(-100);
  });
});

describe('two media sessions over a simulated network (fake clock)', () => {
  /** Two fake transports joined by a link with fixed delay that drops every `lossEvery`-th RTP packet. */
  function linked(delayMs: number, lossEvery = 0) {
    const clock = new FakeClock(5000);
    const ta = new FakeTransport();
    const tb = new FakeTransport();
    const A = { address: '10.0.0.1', port: 20000 };
    const B = { address: '10.0.0.2', port: 30000 };
    const wire = (from: FakeTransport, to: FakeTransport, src: NetAddress) => {
      let n = 0;
      from.sendRtp = (data) => {
        n++;
        if (lossEvery && n % lossEvery === 0) return;
        clock.setTimeout(() => to.rtp(data, src), delayMs);
      };
      from.sendRtcp = (data) => {
        clock.setTimeout(() => to.rtcp(data, { ...src, port: src.port + 1 }), delayMs);
      };
    };
    wire(ta, tb, A);
    wire(tb, ta, B);
    const pa = new RecordingPlayback();
    const pb = new RecordingPlayback();
    const a = new MediaSession({ clock, transport: ta, remote: { address: B.address, rtpPort: B.port }, codec: { codec: new PcmuCodec(), payloadType: 0, telephoneEventPt: 101 }, capture: new ToneCapture(1000), playback: pa });
    const b = new MediaSession({ clock, transport: tb, remote: { address: A.address, rtpPort: A.port }, codec: { codec: new PcmuCodec(), payloadType: 0, telephoneEventPt: 101 }, capture: new ToneCapture(600), playback: pb });
    return { clock, a, b, pa, pb };
  }

  it('measures RTT from RTCP, and each side reports the loss the other sees', () => {
    const { clock, a, b, pa, pb } = linked(30, 10);
    a.start();
    b.start();
    clock.advance(20_000);
    const sa = a.stats();
    const sb = b.stats();
    expect(sa.rttMs).toBeGreaterThan(58);
    expect(sa.rttMs).toBeLessThan(62);
    expect(sb.rttMs).toBeGreaterThan(58);
    expect(sb.loss).toBeGreaterThan(0.08);
    expect(sa.loss).toBeGreaterThan(0.08);
    expect(sa.loss).toBeLessThan(0.12);
    // what B's receiver reports back about A's stream
    expect(sa.rtcp.remoteFractionLost).toBeGreaterThan(0.05);
    expect(sa.rtcp.remoteFractionLost).toBeLessThan(0.15);
    expect(sa.jitterBuffer.concealed).toBeGreaterThan(0);
    expect(toneShare(pa.samples(1000), 600, 8000)).toBeGreaterThan(0.4);
    expect(toneShare(pb.samples(1000), 1000, 8000)).toBeGreaterThan(0.4);
    a.close();
    b.close();
  });

  it('plays across the 16-bit sequence wrap without loss or concealment', () => {
    const { clock, transport, session } = setup();
    session.start();
    feedTone(transport, clock, 200, { seq0: 65450 });
    const s = session.stats();
    expect(s.cumulativeLost).toBe(0);
    expect(s.jitterBuffer.concealed).toBe(0);
    expect(s.jitterBuffer.played).toBeGreaterThan(190);
  });
});

describe('parameters from SDP negotiation', () => {
  it('maps a Negotiated result to codec, remote and direction', () => {
    const codec = new PcmaCodec();
    const p = mediaParamsFromNegotiated(
      {
        codec: 'pcma',
        payloadType: 8,
        clockRate: 8000,
        channels: 1,
        telephoneEvent: { payloadType: 101, clockRate: 8000 },
        remoteAddress: '192.0.2.9',
        remotePort: 7078,
        remoteRtcp: { address: '192.0.2.9', port: 7079 },
        direction: 'recvonly',
        remoteDirection: 'sendonly',
        remoteHold: true,
        ptime: 20,
        remotePtime: 30,
        fmtp: {},
        notes: [],
      },
      codec,
    );
    expect(p).toEqual({
      codec: { codec, payloadType: 8, telephoneEventPt: 101, telephoneEventClockRate: 8000, ptimeMs: 20, recvPtimeMs: 30 },
      remote: { address: '192.0.2.9', rtpPort: 7078, rtcpAddress: '192.0.2.9', rtcpPort: 7079 },
      direction: 'recvonly',
    });
  });
});
