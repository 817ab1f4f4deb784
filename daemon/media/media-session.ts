/**
 * One call's audio, composed (architecture "How data flows"):
 *   capture -> resample -> encode -> RTP packetizer -> socket
 *   socket -> RTP session (latching, stats) -> DTMF | jitter buffer -> decode/conceal -> resample -> playback
 * one frame per media-clock tick, RTCP alongside. Direction (sendrecv/sendonly/recvonly/inactive)
 * is honoured, a codec switch (re-INVITE) is an update(), and close() tears everything down.
 *
 * No I/O of its own: the socket comes in as an RtpTransport, time as a Clock.
 */
import type { Negotiated } from '../sdp/types.js';
import type { Clock } from '../util/clock.js';
import { TypedEmitter } from '../util/events.js';
import { DtmfReceiver, DtmfSender, parseDtmfInfo } from './dtmf.js';
import { JitterBuffer } from './jitter-buffer.js';
import { Concealer } from './concealment.js';
import { CapturePath, dbfs, PlayoutPath, samplesFor } from './media-audio-path.js';
import { MediaClock } from './media-clock.js';
import type {
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
import { Resampler } from '../util/pcm/resample.js';
import { RtcpSession } from './rtcp.js';
import { looksLikeRtcp, parseRtp, type RtpParseError } from './rtp-packet.js';
import { RtpReceiver, RtpSender, type NetAddress } from './rtp-session.js';
import type { RtpTransport } from './rtp-socket.js';
import type { AudioCodec } from './types.js';

export type * from './media-session-types.js';

/**
 * The session parameters an SDP offer/answer produced (daemon/sdp Negotiated), for the
 * MediaSession constructor or update(). `codec` is a fresh instance of `n.codec` (createCodec).
 */
export function mediaParamsFromNegotiated(
  n: Negotiated,
  codec: AudioCodec,
): { codec: MediaCodecConfig; remote: MediaRemote; direction: MediaDirection } {
  return {
    codec: {
      codec,
      payloadType: n.payloadType,
      telephoneEventPt: n.telephoneEvent?.payloadType,
      telephoneEventClockRate: n.telephoneEvent?.clockRate,
      ptimeMs: n.ptime,
      recvPtimeMs: n.remotePtime,
    },
    remote: {
      address: n.remoteAddress,
      rtpPort: n.remotePort,
      rtcpAddress: n.remoteRtcp?.address,
      rtcpPort: n.remoteRtcp?.port,
    },
    direction: n.direction,
  };
}

export type MediaSessionState = 'idle' | 'running' | 'closed';

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
  private jb!: JitterBufferLike;
  private capturePath!: CapturePath;
  private playoutPath!: PlayoutPath;
  private readonly ticker: TickSource;
  private readonly ownTicker: boolean;
  private unsubscribeTick: (() => void) | null = null;
  private state: MediaSessionState = 'idle';
  private sentSinceReport = false;
  private malformed = 0;
  private digitsIn = 0;
  private digitsOut = 0;
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
      learnPackets: opts.rtpLearnPackets ?? 3,
    });
    this.receiver.on('rtpTimeout', (e) => this.emit('rtpTimeout', e));
    this.receiver.on('latched', (e) => this.emit('latched', { ...e }));
    this.receiver.on('ssrcChange', (e) => this.emit('ssrcChange', e));
    this.rtcp = new RtcpSession({
      clock: this.clock,
      cname: opts.cname ?? `portier-${this.sender.ssrc.toString(16)}`,
      ssrc: this.sender.ssrc,
      send: (buf) => {
        const to = this.rtcpTarget();
        if (routable(to)) this.transport.sendRtcp(buf, to);
      },
      receptionReport: () => this.receiver.receptionReport(),
      senderInfo: () => this.senderInfo(),
      random: opts.random,
    });
    this.rtcp.on('bye', (e) => this.emit('rtcpBye', { reason: e.reason }));
    this.dtmfOut = new DtmfSender({ clockRate: this.teRate, ...opts.dtmf });
    this.buildAudioPaths();
    this.ownTicker = !opts.mediaClock;
    this.ticker = opts.mediaClock ?? new MediaClock({ clock: this.clock, intervalMs: this.tickMs });
  }

  private get running(): boolean {
    return this.state === 'running';
  }

  private get closed(): boolean {
    return this.state === 'closed';
  }

  /**
   * The session's lifecycle: idle -> running (start) -> closed (close), or idle -> closed.
   * Refuses anything else (start after close, a second start or close) by returning false.
   */
  private transition(to: MediaSessionState): boolean {
    const from = this.state;
    const legal = (from === 'idle' && (to === 'running' || to === 'closed')) || (from === 'running' && to === 'closed');
    if (!legal) return false;
    this.state = to;
    return true;
  }

  get direction(): MediaDirection {
    return this.dir;
  }

  get localSsrc(): number {
    return this.sender.ssrc;
  }

  private get teRate(): number {
    return this.cfg.telephoneEventClockRate ?? this.cfg.codec.rtpClockRate;
  }

  private get ptimeMs(): number {
    return this.cfg.ptimeMs ?? 20;
  }

  private get tickMs(): number {
    return this.o.tickMs ?? 20;
  }

  private get sends(): boolean {
    // c=0.0.0.0 (RFC 2543 hold) or port 0: nowhere to send to
    return (this.dir === 'sendrecv' || this.dir === 'sendonly') && routable(this.rtpTarget());
  }

  private get plays(): boolean {
    return this.dir === 'sendrecv' || this.dir === 'recvonly';
  }

  /** Starts RTP/RTCP handling and the per-tick audio. Safe to call twice. */
  start(): void {
    if (!this.transition('running')) return;
    this.transport.onRtp((data, from) => this.onRtp(data, from));
    this.transport.onRtcp((data, from) => this.onRtcpPacket(data, from));
    this.syncRtpTimeout();
    this.rtcp.start();
    this.unsubscribeTick = this.ticker.onTick(() => this.tick());
    this.ticker.start();
  }

  /** re-INVITE: new direction (hold), codec, or remote address. */
  update(u: { direction?: MediaDirection; codec?: MediaCodecConfig; remote?: MediaRemote }): void {
    if (this.closed) return;
    if (u.direction) {
      this.dir = u.direction;
      this.syncRtpTimeout();
    }
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
      this.dtmfOut = new DtmfSender({ clockRate: this.teRate, ...this.o.dtmf });
      this.buildAudioPaths();
    } else if (u.codec) {
      this.cfg = u.codec;
      this.sender.setPayloadType(u.codec.payloadType);
      this.receiver.update({
        payloadTypes: this.payloadTypes(),
        eventPayloadTypes: new Set(u.codec.telephoneEventPt === undefined ? [] : [u.codec.telephoneEventPt]),
      });
    }
  }

  /** The RTP timeout only runs while the peer is supposed to send (we are sendrecv/recvonly). */
  private syncRtpTimeout(): void {
    if (!this.running) return;
    if (this.plays) this.receiver.start();
    else this.receiver.stop();
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
    if (this.cfg.telephoneEventPt !== undefined) m.set(this.cfg.telephoneEventPt, this.teRate);
    return m;
  }

  /** Jitter buffer, concealer and resamplers for the current codec (at start and on a codec switch). */
  private buildAudioPaths(): void {
    const codec = this.cfg.codec;
    const recvPtime = this.cfg.recvPtimeMs ?? this.ptimeMs;
    this.jb = this.o.createJitterBuffer
      ? this.o.createJitterBuffer(codec, recvPtime)
      : new JitterBuffer({ frameMs: recvPtime, clockRate: codec.rtpClockRate });
    // waveform continuation for codecs without their own PLC (G.711, G.722)
    const concealer = codec.conceal ? null : (this.o.createConcealer ?? ((rate: number) => new Concealer(rate)))(codec.sampleRate);
    const cap = this.o.capture ?? null;
    const pb = this.o.playback ?? null;
    this.capturePath = new CapturePath(codec, this.ptimeMs, this.tickMs, cap, this.resampler(cap?.sampleRate, codec.sampleRate));
    this.playoutPath = new PlayoutPath(codec, recvPtime, this.tickMs, this.jb, concealer, pb, this.resampler(codec.sampleRate, pb?.sampleRate));
  }

  private resampler(from: number | undefined, to: number | undefined): ResamplerLike | null {
    if (from === undefined || to === undefined || from === to) return null;
    return this.o.createResampler ? this.o.createResampler(from, to) : new Resampler(from, to);
  }

  private rtpTarget(): NetAddress {
    // Symmetric RTP (RFC 4961): answer to where the peer's RTP comes from once latched.
    const sdp = { address: this.remote.address, port: this.remote.rtpPort };
    return this.o.symmetricRtp === false ? sdp : (this.receiver.latched ?? sdp);
  }

  private rtcpTarget(): NetAddress {
    if (this.rtcpFrom) return this.rtcpFrom;
    const port = this.remote.rtcpMux ? this.remote.rtpPort : (this.remote.rtcpPort ?? this.remote.rtpPort + 1);
    return { address: this.remote.rtcpAddress ?? this.remote.address, port };
  }

  private senderInfo(): { rtpTimestamp: number; packetCount: number; octetCount: number } | null {
    if (!this.sentSinceReport) return null;
    this.sentSinceReport = false;
    const s = this.sender.stats();
    return { rtpTimestamp: this.sender.timestamp, packetCount: s.packetsSent, octetCount: s.payloadBytesSent };
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
    if (this.o.symmetricRtp !== false && from.address === this.rtpTarget().address) this.rtcpFrom = from;
    this.rtcp.receive(data);
  }

  /** One media-clock tick: send what the capture filled, play one tick. */
  private tick(): void {
    if (!this.running) return;
    const frames = this.capturePath.tick();
    const tickStep = samplesFor(this.cfg.codec.rtpClockRate, this.tickMs);
    if (!this.sends) {
      // hold / recvonly / inactive: nothing goes out; time runs on and the next packet is marked
      this.dtmfOut.clear();
      this.capturePath.clear();
      this.sender.skip(tickStep);
    } else if (!this.sendDtmf(tickStep)) {
      const step = samplesFor(this.cfg.codec.rtpClockRate, this.ptimeMs);
      const to = this.rtpTarget();
      for (const f of frames) this.transport.sendRtp(this.sender.audio(this.cfg.codec.encode(f), step), to);
      if (frames.length) this.sentSinceReport = true;
    }
    if (this.plays) this.playoutPath.tick(this.clock.now());
  }

  /** RFC 4733 events due on this tick; true while an event holds the audio back (2.5.1.1). */
  private sendDtmf(tickStep: number): boolean {
    const pt = this.cfg.telephoneEventPt;
    if (pt === undefined || this.dtmfOut.pending === 0) return false;
    const pkts = this.dtmfOut.tick(this.tickMs, this.sender.timestamp);
    if (pkts.length === 0 && !this.dtmfOut.busy) return false;
    const to = this.rtpTarget();
    for (const p of pkts) this.transport.sendRtp(this.sender.packet(pt, p.payload, p.timestamp, p.marker), to);
    this.sender.skip(tickStep);
    this.capturePath.clear();
    this.sentSinceReport = true;
    return true;
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
      learning: r.learning,
      malformed: this.malformed,
      unknownPayloadType: r.unknownPayloadType,
      ssrcChanges: r.ssrcChanges,
      digitsReceived: this.digitsIn,
      digitsSent: this.digitsOut,
      levelInDbfs: dbfs(this.playoutPath.meanSquare),
      levelOutDbfs: dbfs(this.capturePath.meanSquare),
      jitterBuffer: this.jb.stats(),
      rtcp,
    };
  }

  /** Stops ticking, sends RTCP BYE, closes the socket and the codec. Safe to call twice. */
  close(reason = 'call ended'): void {
    const wasRunning = this.running;
    if (!this.transition('closed')) return;
    if (wasRunning) this.rtcp.stop({ reason });
    this.unsubscribeTick?.();
    this.unsubscribeTick = null;
    if (this.ownTicker) this.ticker.stop();
    this.receiver.stop();
    this.transport.close();
    this.cfg.codec.close();
  }
}

function routable(a: NetAddress): boolean {
  return a.port > 0 && a.address !== '0.0.0.0' && a.address !== '::';
}
