/**
 * One INVITE of a call plan toward one target, with its own RTP ports and SDP offer, and from the
 * INVITE on the same CallSession an answered call has (INFO digits, re-INVITE/UPDATE offers, the
 * answer in an ACK). Early media (a 183 with SDP) and the final answer start the leg's audio; the
 * plan decides which leg wins, the early-media claim which leg gets the speaker before that.
 */
import { TypedEmitter } from '../util/events.js';
import { CallMedia, type CallMediaDeps } from './call-media.js';
import type { Leg, LegEvents } from './call-plan.js';
import { CallSession } from './call-session.js';
import type { IntercomUserAgent, OutgoingSipCall } from './sip-port.js';

export interface OutgoingLegHooks {
  /** may this leg play early media? (only one leg at a time gets the speaker) */
  claimEarlyMedia(leg: OutgoingLeg): boolean;
  onEarlyMedia(leg: OutgoingLeg): void;
  /** the answered call ended */
  onEnded(leg: OutgoingLeg, reason: string, by: string): void;
  log(msg: string, details: Record<string, unknown>): void;
}

export class OutgoingLeg implements Leg {
  readonly events = new TypedEmitter<LegEvents>();
  session: CallSession | null = null;
  private call: OutgoingSipCall | null = null;
  private cancelled = false;
  private finished = false;

  constructor(
    readonly target: string,
    private readonly ua: IntercomUserAgent,
    private readonly mediaDeps: CallMediaDeps,
    private readonly hooks: OutgoingLegHooks,
  ) {}

  async start(): Promise<void> {
    let media: CallMedia;
    try {
      media = await CallMedia.open(this.mediaDeps);
    } catch (err) {
      this.fail(undefined, (err as Error).message);
      return;
    }
    if (this.cancelled) {
      media.close();
      return;
    }
    let call: OutgoingSipCall;
    try {
      call = this.ua.invite(this.target, { sdp: media.offer() });
    } catch (err) {
      media.close();
      this.fail(undefined, (err as Error).message);
      return;
    }
    this.call = call;
    const session = new CallSession({ call, media, hangup: () => call.hangup(), log: (msg, d) => this.hooks.log(msg, { target: this.target, ...d }) });
    this.session = session;
    call.on('progress', (p) => {
      if (!p.sdp || media.running) return;
      if (!this.hooks.claimEarlyMedia(this)) return;
      const r = session.receiveAnswer(p.sdp);
      if (r.ok) this.hooks.onEarlyMedia(this);
      else this.hooks.log('early media refused', { target: this.target, reason: r.reason });
    });
    call.on('accepted', ({ sdp }) => {
      const r = session.receiveAnswer(sdp);
      if (!r.ok) {
        this.hooks.log('answer SDP unusable; hanging up', { target: this.target, reason: r.reason });
        call.hangup();
        this.fail(488, r.reason);
        return;
      }
      this.events.emit('answered', undefined);
    });
    call.on('failed', (f) => this.fail(f.status, f.reason));
    session.on('ended', (e) => {
      if (this.finished) return;
      this.finished = true;
      this.hooks.onEnded(this, e.reason, e.by);
    });
  }

  private fail(status: number | undefined, reason: string): void {
    this.session?.close();
    if (this.finished) return;
    this.finished = true;
    this.events.emit('failed', { ...(status !== undefined ? { status } : {}), reason });
  }

  /** CANCEL while ringing, BYE when it was answered meanwhile (the plan chose another leg). */
  cancel(): void {
    this.cancelled = true;
    this.finished = true;
    this.call?.hangup();
    this.session?.close();
  }

  hangup(): void {
    this.call?.hangup();
  }
}
