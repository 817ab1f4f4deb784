/**
 * One INVITE of a call plan toward one target, with its own RTP ports and SDP offer. Early media
 * (a 183 with SDP) and the final answer start the leg's audio; the plan decides which leg wins.
 */
import type { OutgoingCall, UserAgent } from '../sip/user-agent.js';
import { TypedEmitter } from '../util/events.js';
import type { Leg, LegEvents } from './call-plan.js';
import { CallMedia, type CallMediaDeps } from './call-media.js';

export interface OutgoingLegHooks {
  /** may this leg play early media? (only one leg at a time gets the speaker) */
  claimEarlyMedia(leg: OutgoingLeg): boolean;
  onEarlyMedia(leg: OutgoingLeg): void;
  onEnded(leg: OutgoingLeg, reason: string, by: string): void;
  log(msg: string, details: Record<string, unknown>): void;
}

export class OutgoingLeg implements Leg {
  readonly events = new TypedEmitter<LegEvents>();
  media: CallMedia | null = null;
  call: OutgoingCall | null = null;
  private cancelled = false;
  private finished = false;

  constructor(
    readonly target: string,
    private readonly ua: UserAgent,
    private readonly mediaDeps: CallMediaDeps,
    private readonly hooks: OutgoingLegHooks,
  ) {}

  async start(): Promise<void> {
    try {
      this.media = await CallMedia.open(this.mediaDeps);
    } catch (err) {
      this.fail(undefined, (err as Error).message);
      return;
    }
    if (this.cancelled) {
      this.media.close();
      return;
    }
    let call: OutgoingCall;
    try {
      call = this.ua.invite(this.target, { sdp: this.media.offer() });
    } catch (err) {
      this.fail(undefined, (err as Error).message);
      return;
    }
    this.call = call;
    call.on('progress', (p) => {
      if (!p.sdp || !this.media || this.media.running) return;
      if (!this.hooks.claimEarlyMedia(this)) return;
      const r = this.media.acceptAnswer(p.sdp);
      if (r.ok) this.hooks.onEarlyMedia(this);
      else this.hooks.log('early media refused', { target: this.target, reason: r.reason });
    });
    call.on('accepted', ({ sdp }) => {
      const r = this.media?.acceptAnswer(sdp);
      if (!r || !r.ok) {
        this.hooks.log('answer SDP unusable; hanging up', { target: this.target, reason: r && !r.ok ? r.reason : 'closed' });
        call.hangup();
        this.fail(488, r && !r.ok ? r.reason : 'media closed');
        return;
      }
      this.events.emit('answered', undefined);
    });
    call.on('failed', (f) => this.fail(f.status, f.reason));
    call.on('ended', (e) => {
      this.closeMedia();
      if (!this.finished) {
        this.finished = true;
        this.hooks.onEnded(this, e.reason, e.by);
      }
    });
  }

  private fail(status: number | undefined, reason: string): void {
    this.closeMedia();
    if (this.finished) return;
    this.finished = true;
    this.events.emit('failed', { ...(status !== undefined ? { status } : {}), reason });
  }

  private closeMedia(): void {
    this.media?.close();
  }

  /** CANCEL while ringing, BYE when it was answered meanwhile (the plan chose another leg). */
  cancel(): void {
    this.cancelled = true;
    this.finished = true;
    this.call?.hangup();
    this.closeMedia();
  }

  hangup(): void {
    this.call?.hangup();
  }
}
