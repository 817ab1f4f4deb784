/**
 * One call session for both directions: the SIP dialog (a call the door placed or one it answered)
 * and its audio, wired once. Digits arrive from RFC 4733 events (the media) and from SIP INFO
 * (application/dtmf-relay, application/dtmf); every offer the peer sends in a re-INVITE or UPDATE
 * goes through the SDP negotiator (direction for hold/resume, a moved address or port, renumbered
 * payload types), an SDP-less re-INVITE gets our offer in the 200 and its answer from the ACK.
 */
import type { DtmfEvent } from '../media/dtmf.js';
import type { MediaSessionStats } from '../media/media-session.js';
import type { Negotiated } from '../sdp/index.js';
import { TypedEmitter } from '../util/events.js';
import type { CallMedia } from './call-media.js';
import type { CallEvents, DialogCall } from './sip-port.js';

export interface CallSessionEvents extends Record<string, unknown> {
  digit: DtmfEvent;
  rtpTimeout: { silentMs: number };
  /** a new offer/answer took effect; `held`: the peer put us on hold (RFC 3264 8.4) */
  media: { negotiated: Negotiated; held: boolean };
  ended: { reason: string; by: string };
}

/**
 * What the intercom needs of a conversation, whatever carries it: a SIP CallSession, or a browser
 * call (daemon/webrtc/browser-media.ts), which has no SIP dialog and never re-offers.
 */
export interface Conversation {
  readonly negotiated: { codec: string; direction?: Negotiated['direction'] } | null;
  readonly media: { stats(): MediaSessionStats | null; close(): void };
  on<K extends keyof CallSessionEvents>(event: K, fn: (e: CallSessionEvents[K]) => void): unknown;
  hangup(): void;
}

export interface CallSessionOptions {
  call: DialogCall;
  media: CallMedia;
  /** BYE (or CANCEL while ringing) */
  hangup(): void;
  log(msg: string, details: Record<string, unknown>): void;
}

export class CallSession extends TypedEmitter<CallSessionEvents> implements Conversation {
  readonly media: CallMedia;
  private readonly offs: (() => void)[] = [];
  private done = false;

  constructor(private readonly o: CallSessionOptions) {
    super();
    this.media = o.media;
    const { call, media } = o;
    this.offs.push(
      call.on('info', (i) => this.onInfo(i)),
      call.on('reinvite', (r) => this.onOffer(r)),
      call.on('answer', (a) => this.onAckAnswer(a.sdp)),
      call.on('ended', (e) => this.finish(e.reason, e.by)),
      media.on('digit', (d) => this.emit('digit', d)),
      media.on('rtpTimeout', (t) => this.emit('rtpTimeout', t)),
    );
  }

  get negotiated(): Negotiated | null {
    return this.media.negotiated;
  }

  get held(): boolean {
    return this.media.negotiated?.remoteHold ?? false;
  }

  /** SIP INFO digits (RFC 6086 + the application/dtmf-relay convention), like RFC 4733 ones. */
  private onInfo(i: CallEvents['info']): void {
    const r = this.media.receiveInfo(i.contentType ?? '', i.body);
    if (!r.ok) this.o.log('INFO carried no digit', { contentType: i.contentType, reason: r.reason });
  }

  private onOffer(r: CallEvents['reinvite']): void {
    if (r.sdp === '') {
      // RFC 3261 14.2 / RFC 3264 4: a re-INVITE without an offer: ours goes in the 200, the
      // answer comes in the ACK (onAckAnswer)
      r.answer(this.media.offer());
      return;
    }
    const out = this.media.answerOffer(r.sdp);
    if (!out.ok) {
      // RFC 3264 8 / RFC 3261 14.2: a refused re-offer leaves the session as it was (488)
      this.o.log(`${r.method} offer refused`, { status: out.status, reason: out.reason });
      r.reject(out.status);
      return;
    }
    r.answer(out.sdp!);
    this.changed();
  }

  private onAckAnswer(sdp: string): void {
    if (!sdp) {
      // RFC 3264 4: the ACK must carry the answer; without it the old description stays in force
      this.o.log('the ACK carried no answer to our offer; keeping the media as it was', {});
      return;
    }
    const r = this.media.acceptAnswer(sdp);
    if (!r.ok) {
      this.o.log('the answer in the ACK is unusable; hanging up', { reason: r.reason });
      this.o.hangup();
      return;
    }
    this.changed();
  }

  private changed(): void {
    const n = this.media.negotiated;
    if (n) this.emit('media', { negotiated: n, held: n.remoteHold });
  }

  receiveAnswer(sdp: string): ReturnType<CallMedia['acceptAnswer']> {
    const r = this.media.acceptAnswer(sdp);
    if (r.ok) this.changed();
    return r;
  }

  hangup(): void {
    this.o.hangup();
  }

  private finish(reason: string, by: string): void {
    if (this.done) return;
    this.done = true;
    this.media.close();
    this.emit('ended', { reason, by });
  }

  /** Stop listening and close the audio (the call is over for the intercom). */
  close(): void {
    this.done = true;
    for (const off of this.offs.splice(0)) off();
    this.media.close();
  }
}
