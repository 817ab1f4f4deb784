/**
 * One call's audio, composed (architecture "How data flows"):
 *   capture -> resample -> encode -> RTP packetizer -> socket
 *   socket -> RTP session (latching, stats) -> DTMF | jitter buffer -> decode/conceal -> resample -> playback
 * one frame per media-clock tick, RTCP alongside. Direction (sendrecv/sendonly/recvonly/inactive)
 * is honoured, a codec switch (re-INVITE) is an update(), and close() tears everything down.
 *
 * No I/O of its own: the socket comes in as an RtpTransport, time as a Clock.
 */
import type { Clock } from '../util/clock.js';
import { PortierError } from '../util/errors.js';
import { TypedEmitter } from '../util/events.js';
import { DtmfReceiver, DtmfSender, parseDtmfInfo } from './dtmf.js';
import { JitterBuffer } from './jitter-buffer.js';
import { MediaClock } from './media-clock.js';
import type {
  ConcealerLike,
  JitterBufferLike,
  MediaCodecConfig,
  MediaDirection,
  MediaRemote,
  MediaSessionEvents,
  MediaSessionOptions,
  MediaSessionStats,
  ResamplerLike,
  TickSource,
} from './media-session-types.js';
import { RtcpSession } from './rtcp.js';
import { looksLikeRtcp, parseRtp, type RtpParseError } from './rtp-packet.js';
import { RtpReceiver, RtpSender, type NetAddress } from './rtp-session.js';
import type { RtpTransport } from './rtp-socket.js';
import type { AudioCodec } from './types.js';

export type * from './media-session-types.js';

const LEVEL_ALPHA = 0.07; // ~300 ms time constant at 50 ticks/s

export class MediaSession extends TypedEmitter<MediaSessionEvents> {
  private readonly o: MediaSessionOptions;
  private readonly clock: Clock;
  private readonly transport: RtpTransport;
  private remote: MediaRemote;
  private cfg: MediaCodecConfig;
  private dir: MediaDirection;
  private readonly sender: RtpSender;
  private readonly receiver: RtpReceiver;
  private readonly rtcp: RtcpSession;
  private readonly dtmfIn = new DtmfReceiver();
  private dtmfOut: DtmfSender;
  private jb: JitterBufferLike;
  private concealer: ConcealerLike | null;
  private upsampler: ResamplerLike | null = null; // codec -> playback
  private downsampler: ResamplerLike | null = null; // capture -> codec
  private readonly ticker: TickSource;
  private readonly ownTicker: boolean;
  private unsubscribeTick: (() => void) | null = null;
  private running = false;
  private closed = false;
  private sentSinceReport = false;
  private malformed = 0;
  private digitsIn = 0;
  private digitsOut = 0;
  private msIn = 0;
  private msOut = 0;
  private rtcpFrom: NetAddress | null = null;

  constructor(opts: MediaSessionOptions) {
    super();
    this.o = opts;
    this.clock = opts.clock;
    this.transport = opts.transport;
    this.remote = opts.remote;
    this.cfg = opts.codec;
    this.dir = opts.direction ?? 'sendrecv';
    this.sender = new RtpSender({ payloadType: this.cfg.payloadType, random: opts.random });
    this.receiver = new RtpReceiver({
      clock: this.clock,
      payloadTypes: this.payloadTypes(),
      eventPayloadTypes: new Set(this.cfg.telephoneEventPt === undefined ? [] : [this.cfg.telephoneEventPt]),
      expected: { address: this.remote.address, port: this.remote.rtpPort },
      timeoutMs: opts.rtpTimeoutMs ?? 0,
    });
    this.receiver.on('rtpTimeout', (e) => this.emit('rtpTimeout', e));
    this.rtcp = new RtcpSession({
      clock: this.clock,
      cname: opts.cname ?? `portier-${this.sender.ssrc.toString(16)}`,
      ssrc: this.sender.ssrc,
      send: (buf) => this.transport.sendRtcp(buf, this.rtcpTarget()),
      receptionReport: () => this.receiver.receptionReport(),
      senderInfo: () => this.senderInfo(),
      random: opts.random,
    });
    this.rtcp.on('bye', (e) => this.emit('rtcpBye', { reason: e.reason }));
    this.dtmfOut = new DtmfSender({ clockRate: this.cfg.codec.rtpClockRate, ...opts.dtmf });
    this.jb = this.makeJitterBuffer();
    this.concealer = this.makeConcealer();
    this.makeResamplers();
    this.ownTicker = !opts.mediaClock;
    this.ticker = opts.mediaClock ?? new MediaClock({ clock: this.clock, intervalMs: this.ptimeMs });
  }

  get direction(): MediaDirection {
    return this.dir;
  }

  get localSsrc(): number {
    return this.sender.ssrc;
  }

  private get ptimeMs(): number {
    return this.cfg.ptimeMs ?? 20;
  }

  private get sends(): boolean {
    return this.dir === 'sendrecv' || this.dir === 'sendonly';
  }

  private get plays(): boolean {
    return this.dir === 'sendrecv' || this.dir === 'recvonly';
  }

  /** Starts RTP/RTCP handling and the per-tick audio. Safe to call twice. */
  start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    this.transport.onRtp((data, from) => this.onRtp(data, from));
    this.transport.onRtcp((data, from) => this.onRtcpPacket(data, from));
    this.receiver.start();
    this.rtcp.start();
    this.unsubscribeTick = this.ticker.onTick(() => this.tick());
    this.ticker.start();
  }

  /** re-INVITE: new direction (hold), codec, or remote address. */
  update(u: { direction?: MediaDirection; codec?: MediaCodecConfig; remote?: MediaRemote }): void {
    if (this.closed) return;
    if (u.direction) this.dir = u.direction;
    if (u.remote) {
      this.remote = u.remote;
      this.rtcpFrom = null;
      this.receiver.update({ expected: { address: u.remote.address, port: u.remote.rtpPort } });
    }
    if (u.codec && u.codec.codec !== this.cfg.codec) {
      const old = this.cfg.codec;
      this.cfg = u.codec;
      old.close();
      this.sender.setPayloadType(u.codec.payloadType);
      this.receiver.update({
        payloadTypes: this.payloadTypes(),
        eventPayloadTypes: new Set(u.codec.telephoneEventPt === undefined ? [] : [u.codec.telephoneEventPt]),
      });
      this.dtmfOut = new DtmfSender({ clockRate: u.codec.codec.rtpClockRate, ...this.o.dtmf });
      this.jb = this.makeJitterBuffer();
      this.concealer = this.makeConcealer();
      this.makeResamplers();
    } else if (u.codec) {
      this.cfg = u.codec;
      this.sender.setPayloadType(u.codec.payloadType);
      this.receiver.update({ payloadTypes: this.payloadTypes() });
    }
  }

  /** Send DTMF digits as RFC 4733 events; fails when telephone-event was not negotiated. */
  sendDigits(digits: string, durationMs?: number): { ok: true } | { ok: false; reason: string } {
    if (this.cfg.telephoneEventPt === undefined) return { ok: false, reason: 'telephone-event was not negotiated' };
    if (!this.sends) return { ok: false, reason: `direction is ${this.dir}` };
    const r = this.dtmfOut.send(digits, durationMs);
    if (r.ok) this.digitsOut += digits.length;
    return r;
  }

  /** A SIP INFO carrying DTMF for this call: reported as a `digit` like RFC 4733 ones. */
  receiveInfo(contentType: string, body: string | Uint8Array): { ok: true } | { ok: false; reason: string } {
    const r = parseDtmfInfo(contentType, body);
    if (!r.ok) return r;
    this.digitsIn++;
    this.emit('digit', r.event);
    return { ok: true };
  }

  private payloadTypes(): Map<number, number> {
    const m = new Map<number, number>([[this.cfg.payloadType, this.cfg.codec.rtpClockRate]]);
    if (this.cfg.telephoneEventPt !== undefined) m.set(this.cfg.telephoneEventPt, this.cfg.codec.rtpClockRate);
    return m;
  }

  private makeJitterBuffer(): JitterBufferLike {
    if (this.o.createJitterBuffer) return this.o.createJitterBuffer(this.cfg.codec, this.ptimeMs);
    return new JitterBuffer({ frameMs: this.ptimeMs, clockRate: this.cfg.codec.rtpClockRate });
  }

  private makeConcealer(): ConcealerLike | null {
    return this.o.createConcealer ? this.o.createConcealer(this.cfg.codec.sampleRate) : null;
  }

  private makeResamplers(): void {
    const rate = this.cfg.codec.sampleRate;
    this.downsampler = this.resampler(this.o.capture?.sampleRate, rate);
    this.upsampler = this.resampler(rate, this.o.playback?.sampleRate);
  }

  private resampler(from: number | undefined, to: number | undefined): ResamplerLike | null {
    if (from === undefined || to === undefined || from === to) return null;
    if (!this.o.createResampler) {
      throw new PortierError('MEDIA_ERROR', `audio device runs at ${from} Hz but the codec needs ${to} Hz and no resampler was given`);
    }
    return this.o.createResampler(from, to);
  }

  private rtpTarget(): NetAddress {
    // Symmetric RTP (RFC 4961): answer to where the peer's RTP comes from once latched.
    return this.receiver.stats().latched ?? { address: this.remote.address, port: this.remote.rtpPort };
  }

  private rtcpTarget(): NetAddress {
    if (this.rtcpFrom) return this.rtcpFrom;
    const port = this.remote.rtcpMux ? this.remote.rtpPort : (this.remote.rtcpPort ?? this.remote.rtpPort + 1);
    return { address: this.remote.address, port };
  }

  private senderInfo(): { rtpTimestamp: number; packetCount: number; octetCount: number } | null {
    if (!this.sentSinceReport) return null;
    this.sentSinceReport = false;
    const s = this.sender.stats();
    return { rtpTimestamp: this.sender.timestamp, packetCount: s.packetsSent, octetCount: s.bytesSent };
  }

  private onRtp(data: Uint8Array, from: NetAddress): void {
    if (this.closed) return;
    if (looksLikeRtcp(data)) {
      // RFC 5761 4: with rtcp-mux, RTCP arrives on the RTP port.
      this.onRtcpPacket(data, from);
      return;
    }
    const parsed = parseRtp(data);
    if (!parsed.ok) {
      this.countMalformed(parsed.reason);
      return;
    }
    const pkt = parsed.packet;
    const now = this.clock.now();
    const res = this.receiver.receive(pkt, from, now, data.length);
    if (!res.accepted) return;
    if (res.ssrcChanged) {
      this.jb.reset();
      this.dtmfIn.reset();
    }
    if (pkt.payloadType === this.cfg.telephoneEventPt) {
      const d = this.dtmfIn.receive(pkt);
      if (d) {
        this.digitsIn++;
        this.emit('digit', d);
      }
      return;
    }
    if (!this.plays) return;
    // The parsed payload is a view on the datagram; Node may reuse it, so the jitter buffer gets a copy.
    this.jb.push({
      seq: pkt.seq,
      timestamp: pkt.timestamp,
      ssrc: pkt.ssrc,
      marker: pkt.marker,
      payloadType: pkt.payloadType,
      payload: pkt.payload.slice(),
      arrivalMs: now,
    });
  }

  private countMalformed(_reason: RtpParseError): void {
    this.malformed++;
  }

  private onRtcpPacket(data: Uint8Array, from: NetAddress): void {
    if (this.closed) return;
    // Symmetric RTCP: reply to where the peer's RTCP comes from, if it is the peer's host.
    if (from.address === this.rtpTarget().address) this.rtcpFrom = from;
    this.rtcp.receive(data);
  }

  /** One media-clock tick: send one frame, play one frame. */
  private tick(): void {
    if (!this.running) return;
    const codec = this.cfg.codec;
    const frame = Math.round((codec.sampleRate * this.ptimeMs) / 1000);
    const step = Math.round((codec.rtpClockRate * this.ptimeMs) / 1000);
    this.sendFrame(codec, frame, step);
    this.playFrame(codec, frame);
  }

  private sendFrame(codec: AudioCodec, frame: number, step: number): void {
    const cap = this.o.capture;
    // Keep pulling capture even when not sending, so its queue does not grow.
    let pcm: Int16Array | null = null;
    if (cap) {
      const raw = cap.read(Math.round((cap.sampleRate * this.ptimeMs) / 1000));
      pcm = this.downsampler ? this.downsampler.process(raw) : raw;
    }
    if (!this.sends) {
      this.dtmfOut.clear();
      this.sender.skip(step); // hold: no packets; the marker goes on the first one after
      return;
    }
    const to = this.rtpTarget();
    if (this.dtmfOut.pending > 0 && this.cfg.telephoneEventPt !== undefined) {
      const pkts = this.dtmfOut.tick(this.ptimeMs, this.sender.timestamp);
      if (pkts.length > 0 || this.dtmfOut.busy) {
        // RFC 4733 2.5.1.1: no audio while an event is sent; its timestamp keeps running.
        for (const p of pkts) this.transport.sendRtp(this.sender.packet(this.cfg.telephoneEventPt, p.payload, p.timestamp, p.marker), to);
        this.sender.skip(step);
        this.sentSinceReport = true;
        return;
      }
    }
    if (!pcm || pcm.length !== frame) pcm = fit(pcm, frame);
    this.msOut = meanSquare(this.msOut, pcm);
    this.transport.sendRtp(this.sender.audio(codec.encode(pcm), step), to);
    this.sentSinceReport = true;
  }

  private playFrame(codec: AudioCodec, frame: number): void {
    if (!this.plays) return;
    const action = this.jb.pull(this.clock.now());
    let pcm: Int16Array;
    if (action.kind === 'play') {
      pcm = codec.decode(action.packet.payload);
      this.concealer?.remember(pcm);
    } else if (action.kind === 'conceal') {
      const fec = action.next && codec.decodeFec ? codec.decodeFec(action.next.payload, frame) : null;
      pcm = fec ?? (codec.conceal ? codec.conceal(frame) : this.concealer ? this.concealer.conceal(frame) : new Int16Array(frame));
    } else {
      pcm = new Int16Array(frame);
    }
    this.msIn = meanSquare(this.msIn, pcm);
    const pb = this.o.playback;
    if (pb) pb.write(this.upsampler ? this.upsampler.process(pcm) : pcm);
  }

  stats(): MediaSessionStats {
    const r = this.receiver.stats();
    const s = this.sender.stats();
    const rtcp = this.rtcp.stats();
    return {
      codec: this.cfg.codec.name,
      direction: this.dir,
      packetsSent: s.packetsSent,
      bytesSent: s.bytesSent,
      packetsReceived: r.packetsReceived,
      bytesReceived: r.bytesReceived,
      loss: r.lossRatio,
      cumulativeLost: r.cumulativeLost,
      jitterMs: r.jitterMs,
      rttMs: rtcp.rttMs,
      bleed: r.bleed,
      malformed: this.malformed,
      unknownPayloadType: r.unknownPayloadType,
      ssrcChanges: r.ssrcChanges,
      digitsReceived: this.digitsIn,
      digitsSent: this.digitsOut,
      levelInDbfs: dbfs(this.msIn),
      levelOutDbfs: dbfs(this.msOut),
      jitterBuffer: this.jb.stats(),
      rtcp,
    };
  }

  /** Stops ticking, sends RTCP BYE, closes the socket and the codec. Safe to call twice. */
  close(reason = 'call ended'): void {
    if (this.closed) return;
    if (this.running) this.rtcp.stop({ reason });
    this.closed = true;
    this.running = false;
    this.unsubscribeTick?.();
    this.unsubscribeTick = null;
    if (this.ownTicker) this.ticker.stop();
    this.receiver.stop();
    this.transport.close();
    this.cfg.codec.close();
  }
}

function fit(pcm: Int16Array | null, frame: number): Int16Array {
  const out = new Int16Array(frame);
  if (pcm) out.set(pcm.subarray(0, frame));
  return out;
}

function meanSquare(prev: number, pcm: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i] * pcm[i];
  const ms = pcm.length ? sum / pcm.length : 0;
  return prev + (ms - prev) * LEVEL_ALPHA;
}

function dbfs(ms: number): number {
  if (ms <= 0) return -100;
  return Math.max(-100, 10 * Math.log10(ms / (32768 * 32768)));
}
