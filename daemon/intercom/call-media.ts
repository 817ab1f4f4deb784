/**
 * One call leg's audio: an RTP port pair, the SDP offer/answer, and the MediaSession that runs once
 * the far end's description is known. The intercom owns one per leg and closes it with the leg.
 */
import { createAnswer, createOffer, parseAnswer, type LocalOffer, type Negotiated, type SdpSessionId } from '../sdp/index.js';
import { opusOptionsFromFmtp, opusRateFor } from '../media/codecs/opus.js';
import { createCodec } from '../media/codecs/registry.js';
import type { DtmfEvent } from '../media/dtmf.js';
import { MediaSession, type AudioCapture, type AudioPlayback, type MediaSessionStats, type TickSource } from '../media/media-session.js';
import { RtpSocket, type PortAllocator } from '../media/rtp-socket.js';
import type { CodecName } from '../media/types.js';
import type { Clock } from '../util/clock.js';
import { TypedEmitter } from '../util/events.js';

export interface CallMediaDeps {
  allocator: PortAllocator;
  /** address the RTP sockets bind to */
  bindAddress: string;
  /** address written into our SDP (what the peer sends RTP to) */
  sdpAddress: string;
  codecs: readonly CodecName[];
  clock: Clock;
  mediaClock: TickSource;
  capture: AudioCapture;
  playback: AudioPlayback;
  rtpTimeoutMs: number;
}

export interface CallMediaEvents extends Record<string, unknown> {
  digit: DtmfEvent;
  rtpTimeout: { silentMs: number };
  started: { negotiated: Negotiated };
}

export type SdpOutcome = { ok: true; sdp?: string } | { ok: false; status: number; reason: string; sdp?: string };

export class CallMedia extends TypedEmitter<CallMediaEvents> {
  private session: MediaSession | null = null;
  private localOffer: LocalOffer | null = null;
  private sdpSession: SdpSessionId | undefined;
  private negotiatedValue: Negotiated | null = null;
  private closed = false;

  private constructor(
    private readonly deps: CallMediaDeps,
    private readonly socket: RtpSocket,
  ) {
    super();
  }

  static async open(deps: CallMediaDeps): Promise<CallMedia> {
    const socket = await RtpSocket.open({ allocator: deps.allocator, address: deps.bindAddress });
    return new CallMedia(deps, socket);
  }

  get negotiated(): Negotiated | null {
    return this.negotiatedValue;
  }

  get running(): boolean {
    return this.session !== null;
  }

  private local() {
    return { codecs: this.deps.codecs, address: this.deps.sdpAddress, port: this.socket.rtpPort };
  }

  /** Our offer for an INVITE we send. */
  offer(): string {
    this.localOffer = createOffer(this.local());
    this.sdpSession = this.localOffer.session;
    return this.localOffer.sdp;
  }

  /** The far end's answer (in a 183 or the 200) to our offer: start or update the audio. */
  acceptAnswer(sdp: string): SdpOutcome {
    if (!this.localOffer) return { ok: false, status: 400, reason: 'an answer came before our offer' };
    const r = parseAnswer(sdp, this.localOffer);
    if (!r.ok) return { ok: false, status: r.status, reason: r.reason };
    this.run(r.negotiated);
    return { ok: true };
  }

  /** An offer from the far end (INVITE or re-INVITE): our answer, and the audio started or updated. */
  answerOffer(sdp: string): SdpOutcome {
    const r = createAnswer(sdp, this.local(), this.sdpSession);
    if (!r.ok) return { ok: false, status: r.status, reason: r.reason, sdp: r.sdp };
    this.sdpSession = r.session;
    this.run(r.negotiated);
    return { ok: true, sdp: r.sdp };
  }

  private run(n: Negotiated): void {
    if (this.closed) return;
    const remote = {
      address: n.remoteAddress,
      rtpPort: n.remotePort,
      ...(n.remoteRtcp ? { rtcpPort: n.remoteRtcp.port, rtcpAddress: n.remoteRtcp.address } : {}),
    };
    const previous = this.negotiatedValue;
    this.negotiatedValue = n;
    const sameCodec = previous && previous.codec === n.codec && previous.payloadType === n.payloadType;
    const codecConfig = () => ({
      // Opus runs at the microphone's rate (no resampling) and within what the peer said it plays back
      codec: createCodec(n.codec, n.codec === 'opus' ? { opus: opusOptionsFromFmtp(n.fmtp ?? {}, { sampleRate: opusRateFor(this.deps.capture.sampleRate) }) } : {}),
      payloadType: n.payloadType,
      ...(n.telephoneEvent ? { telephoneEventPt: n.telephoneEvent.payloadType, telephoneEventClockRate: n.telephoneEvent.clockRate } : {}),
      ptimeMs: n.ptime,
      ...(n.remotePtime ? { recvPtimeMs: n.remotePtime } : {}),
    });
    if (this.session) {
      this.session.update({ direction: n.direction, remote, ...(sameCodec ? {} : { codec: codecConfig() }) });
      return;
    }
    const session = new MediaSession({
      clock: this.deps.clock,
      transport: this.socket,
      remote,
      codec: codecConfig(),
      direction: n.direction,
      capture: this.deps.capture,
      playback: this.deps.playback,
      rtpTimeoutMs: this.deps.rtpTimeoutMs,
      mediaClock: this.deps.mediaClock,
    });
    session.on('digit', (d) => this.emit('digit', d));
    session.on('rtpTimeout', (t) => this.emit('rtpTimeout', t));
    this.session = session;
    session.start();
    this.emit('started', { negotiated: n });
  }

  sendDigits(digits: string): { ok: true } | { ok: false; reason: string } {
    if (!this.session) return { ok: false, reason: 'no audio yet' };
    return this.session.sendDigits(digits);
  }

  receiveInfo(contentType: string, body: string): { ok: true } | { ok: false; reason: string } {
    if (!this.session) return { ok: false, reason: 'no audio yet' };
    return this.session.receiveInfo(contentType, body);
  }

  stats(): MediaSessionStats | null {
    return this.session?.stats() ?? null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.session) this.session.close();
    else this.socket.close();
    this.session = null;
  }
}
