/**
 * One call's audio: an RTP port pair, every SDP offer/answer of the call (RFC 3264: the first one and
 * each re-offer: hold/resume, a moved address or port, renumbered payload types), and the
 * MediaSession that runs once the far end's description is known and follows each new one.
 * The call session (call-session.ts) owns one per call and closes it with the call.
 */
import { createAnswer, createOffer, nextOffer, parseAnswer, type LocalOffer, type Negotiated, type SdpSessionId } from '../sdp/index.js';
import { opusOptionsFromFmtp, opusRateFor } from '../media/codecs/opus.js';
import { createCodec } from '../media/codecs/registry.js';
import type { DtmfEvent } from '../media/dtmf.js';
import { MediaSession, type AudioCapture, type AudioPlayback, type MediaSessionStats, type TickSource } from '../media/media-session.js';
import { RtpSocket, type PortAllocator, type RtpTransport } from '../media/rtp-socket.js';
import type { AudioCodec } from '../media/types.js';
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
  /** the RTP/RTCP socket pair (default: an RtpSocket from the allocator); tests pass a fake */
  openTransport?: (deps: CallMediaDeps) => Promise<RtpTransport>;
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
  private codec: AudioCodec | null = null;
  private closed = false;

  private constructor(
    private readonly deps: CallMediaDeps,
    private readonly socket: RtpTransport,
  ) {
    super();
  }

  static async open(deps: CallMediaDeps): Promise<CallMedia> {
    const socket = deps.openTransport ? await deps.openTransport(deps) : await RtpSocket.open({ allocator: deps.allocator, address: deps.bindAddress });
    return new CallMedia(deps, socket);
  }

  /** the local RTP port (what our SDP names) */
  get rtpPort(): number {
    return this.socket.rtpPort;
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

  /**
   * Our offer: the first one (an INVITE we send, or the 200 to an INVITE without SDP), or a new one
   * in the same session (the 200 to a re-INVITE without SDP, RFC 3261 14.2): o= version + 1
   * (RFC 3264 8), every codec offered again, sendrecv.
   */
  offer(): string {
    this.awaitingAnswer = true;
    this.localOffer = this.sdpSession ? nextOffer({ session: this.sdpSession, options: this.local() }) : createOffer(this.local());
    this.sdpSession = this.localOffer.session;
    return this.localOffer.sdp;
  }

  /** an offer of ours waits for its answer (the ACK or the 200 to our INVITE brings it) */
  get offering(): boolean {
    return this.localOffer !== null && this.awaitingAnswer;
  }

  private awaitingAnswer = false;

  /** The far end's answer (in a 183 or the 200) to our offer: start or update the audio. */
  acceptAnswer(sdp: string): SdpOutcome {
    if (!this.localOffer) return { ok: false, status: 400, reason: 'an answer came before our offer' };
    const r = parseAnswer(sdp, this.localOffer);
    if (!r.ok) return { ok: false, status: r.status, reason: r.reason };
    this.awaitingAnswer = false;
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
    // the same codec keeps its encoder/decoder state; the payload type numbers (codec and
    // telephone-event, which a re-offer may renumber, RFC 3264 8.3.2) and ptime always follow
    const sameCodec = previous !== null && previous.codec === n.codec && JSON.stringify(previous.fmtp) === JSON.stringify(n.fmtp) && this.codec !== null;
    const codec = sameCodec
      ? this.codec!
      : // Opus runs at the microphone's rate (no resampling) and within what the peer said it plays back
        createCodec(n.codec, n.codec === 'opus' ? { opus: opusOptionsFromFmtp(n.fmtp ?? {}, { sampleRate: opusRateFor(this.deps.capture.sampleRate) }) } : {});
    this.codec = codec;
    const codecConfig = () => ({
      codec,
      payloadType: n.payloadType,
      ...(n.telephoneEvent ? { telephoneEventPt: n.telephoneEvent.payloadType, telephoneEventClockRate: n.telephoneEvent.clockRate } : {}),
      ptimeMs: n.ptime,
      ...(n.remotePtime ? { recvPtimeMs: n.remotePtime } : {}),
    });
    if (this.session) {
      this.session.update({ direction: n.direction, remote, codec: codecConfig() });
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
