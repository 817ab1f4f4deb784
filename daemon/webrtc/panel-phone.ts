/**
 * The browser as a call target: `"panel"` in a button's `call` list rings every logged-in panel
 * page. The first page to answer gets the door's WebRTC offer over its WebSocket; the others stop
 * ringing. The leg is "answered" for the call plan once ICE and DTLS are up, so a browser answering
 * CANCELs the SIP phones and a phone answering stops the browsers, like any two legs.
 *
 *   ringing --answer(page)--> answering --peer connected--> connected --hangup/gone--> ended
 *   ringing --cancel() / every page declined or left--> ended (failed)
 *
 * Signalling (JSON over /ws; `call` is the intercom's call id):
 *   door -> page  {type:"phone", event:"ring"|"stop"|"offer"|"connected"|"ended", call, sdp?, reason?}
 *   page -> door  {type:"phone", action:"answer"|"decline"|"sdp"|"hangup", call, sdp?}
 */
import type { Leg, LegEvents } from '../intercom/call-plan.js';
import type { PanelClient } from '../panel/ws.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { TypedEmitter } from '../util/events.js';
import type { Logger } from '../util/log.js';
import { BrowserMedia, type BrowserMediaDeps } from './browser-media.js';
import { BrowserPeer, type BrowserPeerOptions } from './browser-peer.js';

export const PANEL_TARGET = 'panel';

type LegState = 'ringing' | 'answering' | 'connected' | 'ended';

export interface PanelPhoneOptions {
  clock: Clock;
  log: Logger;
  peer?: BrowserPeerOptions;
  /** how long an answering page has to send its SDP (default 15 s) */
  answerTimeoutMs?: number;
  /** test seam: how a peer is made */
  createPeer?: (opts: BrowserPeerOptions) => Promise<BrowserPeer>;
}

export class PanelLeg implements Leg {
  readonly target = PANEL_TARGET;
  readonly events = new TypedEmitter<LegEvents>();
  /** the conversation once the browser's audio is up (what the intercom's call plan connects) */
  session: BrowserMedia | null = null;
  private stateValue: LegState = 'ringing';
  readonly rung = new Map<number, PanelClient>();
  answeredBy: PanelClient | null = null;
  private peer: BrowserPeer | null = null;
  private answerTimer: TimerHandle | undefined;

  constructor(
    readonly callId: string,
    private readonly phone: PanelPhone,
    private readonly mediaDeps: BrowserMediaDeps,
  ) {}

  get state(): LegState {
    return this.stateValue;
  }

  private transition(to: LegState): boolean {
    const allowed: Record<LegState, LegState[]> = {
      ringing: ['answering', 'ended'],
      answering: ['connected', 'ended'],
      connected: ['ended'],
      ended: [],
    };
    if (!allowed[this.stateValue].includes(to)) return false;
    this.stateValue = to;
    return true;
  }

  ring(pages: PanelClient[]): void {
    for (const p of pages) {
      this.rung.set(p.id, p);
      p.send({ type: 'phone', event: 'ring', call: this.callId });
    }
  }

  async answer(page: PanelClient): Promise<void> {
    if (!this.transition('answering')) {
      page.send({ type: 'phone', event: 'stop', call: this.callId, reason: 'answered elsewhere' });
      return;
    }
    this.answeredBy = page;
    this.stopRinging('answered in another panel', page.id);
    this.answerTimer = this.phone.clock.setTimeout(() => this.fail(408, 'the panel did not finish answering'), this.phone.answerTimeoutMs);
    try {
      this.peer = await this.phone.createPeer();
    } catch (err) {
      this.fail(500, `WebRTC could not start: ${(err as Error).message}`);
      return;
    }
    if (this.stateValue !== 'answering') {
      this.peer.close();
      return;
    }
    const peer = this.peer;
    peer.once('connected', () => {
      if (!this.transition('connected')) return;
      this.phone.clock.clearTimeout(this.answerTimer);
      this.session = new BrowserMedia(peer, this.mediaDeps, () => this.hangup());
      page.send({ type: 'phone', event: 'connected', call: this.callId });
      this.events.emit('answered', undefined);
    });
    peer.on('closed', ({ reason }) => {
      if (this.stateValue === 'connected') this.end(reason, 'remote');
      else this.fail(undefined, reason);
    });
    page.send({ type: 'phone', event: 'offer', call: this.callId, sdp: peer.offer });
  }

  async takeAnswer(page: PanelClient, sdp: string): Promise<void> {
    if (this.stateValue !== 'answering' || page !== this.answeredBy || !this.peer) return;
    try {
      await this.peer.accept(sdp);
    } catch (err) {
      this.fail(488, `the browser's answer was not usable: ${(err as Error).message}`);
    }
  }

  decline(page: PanelClient): void {
    if (this.stateValue !== 'ringing' || !this.rung.delete(page.id)) return;
    page.send({ type: 'phone', event: 'stop', call: this.callId, reason: 'declined' });
    if (this.rung.size === 0) this.fail(603, 'declined in the panel');
  }

  /** A page went away. */
  gone(page: PanelClient): void {
    this.rung.delete(page.id);
    if (this.answeredBy?.id === page.id) {
      if (this.stateValue === 'connected') this.end('the panel was closed', 'remote');
      else this.fail(undefined, 'the answering panel was closed');
    } else if (this.stateValue === 'ringing' && this.rung.size === 0) {
      this.fail(480, 'every panel that rang was closed');
    }
  }

  /** The page hung up. */
  hungUp(page: PanelClient): void {
    if (page !== this.answeredBy) return;
    if (this.stateValue === 'connected') this.end('hung up in the panel', 'remote');
    else this.fail(487, 'hung up in the panel before the audio started');
  }

  /** CallPlan: stop ringing this target (another answered, or the ring timed out). */
  cancel(): void {
    if (this.stateValue === 'ringing' || this.stateValue === 'answering') this.finish('cancelled');
  }

  /** The door hangs up a connected call. */
  hangup(): void {
    if (this.stateValue === 'connected') this.finish('ended by the door');
  }

  private fail(status: number | undefined, reason: string): void {
    if (this.stateValue === 'ended') return;
    this.finish(reason);
    this.events.emit('failed', { ...(status ? { status } : {}), reason });
  }

  private end(reason: string, by: 'remote' | 'local'): void {
    if (this.stateValue !== 'connected') return;
    const session = this.session;
    this.finish(reason);
    session?.ended(reason, by);
  }

  private finish(reason: string): void {
    const was = this.stateValue;
    if (!this.transition('ended')) return;
    this.phone.clock.clearTimeout(this.answerTimer);
    this.stopRinging(reason);
    if (this.answeredBy && was !== 'ringing') this.answeredBy.send({ type: 'phone', event: 'ended', call: this.callId, reason });
    this.session?.close();
    this.peer?.close();
    this.phone.forget(this);
  }

  private stopRinging(reason: string, except?: number): void {
    for (const [id, p] of this.rung) if (id !== except) p.send({ type: 'phone', event: 'stop', call: this.callId, reason });
    this.rung.clear();
  }
}

export class PanelPhone {
  readonly clock: Clock;
  readonly answerTimeoutMs: number;
  private readonly legs = new Map<string, PanelLeg>();
  private pages: () => PanelClient[] = () => [];

  constructor(private readonly opts: PanelPhoneOptions) {
    this.clock = opts.clock;
    this.answerTimeoutMs = opts.answerTimeoutMs ?? 15_000;
  }

  /** The panel's WebSocket gateway: who can be rung. */
  attach(pages: () => PanelClient[]): void {
    this.pages = pages;
  }

  createPeer(): Promise<BrowserPeer> {
    return (this.opts.createPeer ?? BrowserPeer.create)(this.opts.peer ?? {});
  }

  /** Ring every logged-in page (API-token clients are programs, not people). */
  dial(callId: string, media: BrowserMediaDeps): PanelLeg {
    const leg = new PanelLeg(callId, this, media);
    this.legs.set(callId, leg);
    const people = this.pages().filter((p) => p.sessionKey !== null);
    this.opts.log.info({ call: callId, pages: people.length }, 'ringing the panel');
    if (people.length === 0) {
      // the plan hears about it after dial() returned, as for a SIP target that fails at once
      queueMicrotask(() => leg.gone({ id: -1, sessionKey: null, send: () => {} }));
      return leg;
    }
    leg.ring(people);
    return leg;
  }

  forget(leg: PanelLeg): void {
    if (this.legs.get(leg.callId) === leg) this.legs.delete(leg.callId);
  }

  /** A page's signalling message. Unknown or stale messages are ignored. */
  onMessage(page: PanelClient, msg: Record<string, unknown>): void {
    if (msg.type !== 'phone' || typeof msg.call !== 'string' || page.sessionKey === null) return;
    const leg = this.legs.get(msg.call);
    if (!leg) {
      if (msg.action === 'answer') page.send({ type: 'phone', event: 'stop', call: msg.call, reason: 'the call is over' });
      return;
    }
    switch (msg.action) {
      case 'answer':
        void leg.answer(page);
        break;
      case 'sdp':
        if (typeof msg.sdp === 'string' && msg.sdp.length < 16_000) void leg.takeAnswer(page, msg.sdp);
        break;
      case 'decline':
        leg.decline(page);
        break;
      case 'hangup':
        leg.hungUp(page);
        break;
    }
  }

  onPageClosed(page: PanelClient): void {
    for (const leg of [...this.legs.values()]) leg.gone(page);
  }

  /** The pages ringing or in a call now, for the status. */
  get busy(): boolean {
    return this.legs.size > 0;
  }
}
