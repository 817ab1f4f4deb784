/**
 * The product logic: a button press rings the flat through a call plan, a call from the PBX is
 * answered, digits keyed during a call open the door, and every step lands in the event log and
 * the status the panel shows. One call at a time: the door has one speaker. Both directions end
 * in the same CallSession (call-session.ts) and the same CallRecord state machine (call-record.ts).
 */
import type { Config } from '../../config/schema.js';
import type { Relay } from '../../hal/types.js';
import type { StatusHub } from '../util/status-hub.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { CallMedia, type CallMediaDeps } from './call-media.js';
import { CallPlan } from './call-plan.js';
import { CallRecord, type CallState } from './call-record.js';
import { CallSession, type Conversation } from './call-session.js';
import { describeCall } from './call-status.js';
import { callerAllowed, callerName } from './callers.js';
import type { DoorAudio } from './door-audio.js';
import { DoorCodes } from './door-codes.js';
import { DoorOutcomes } from './door-outcomes.js';
import { EarlyMedia } from './early-media.js';
import type { EventLog } from './event-log.js';
import { OutgoingLeg } from './outgoing-leg.js';
import type { IncomingSipCall, IntercomUserAgent } from './sip-port.js';
import { PANEL_TARGET, type PanelLeg, type PanelPhone } from '../webrtc/panel-phone.js';

export type { CallState };

export interface IntercomDeps {
  config: Pick<Config, 'intercom' | 'buttons' | 'doors' | 'relays'>;
  ua: IntercomUserAgent | null;
  clock: Clock;
  media: Omit<CallMediaDeps, 'capture' | 'playback'>;
  audio: Pick<DoorAudio, 'capture' | 'playback' | 'startRingback' | 'stopRingback' | 'warn' | 'stop'>;
  relays: Map<string, Relay>;
  events: Pick<EventLog, 'append'>;
  hub: Pick<StatusHub, 'set'>;
  log: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /** call ids for the log and status (default: wall time + a counter, unique across restarts) */
  newCallId?: () => string;
  /** the browser phone: `"panel"` in a call list rings the logged-in panels */
  phone?: PanelPhone;
}

let callSeq = 0;
const defaultCallId = () => `c${Date.now().toString(36)}${(++callSeq).toString(36)}`;

export class Intercom {
  private current: CallRecord | null = null;
  private lastEnded: CallRecord | null = null;
  private readonly codes: DoorCodes;
  private readonly doors: DoorOutcomes;
  private statusTimer: TimerHandle | undefined;
  private closed = false;

  constructor(private readonly d: IntercomDeps) {
    const ic = d.config.intercom;
    this.doors = new DoorOutcomes({
      relays: d.relays,
      pulseMs: new Map(d.config.relays.map((r) => [r.id, r.pulse_ms])),
      events: d.events,
      currentCall: () => this.current?.id,
      onOpenedByCode: () => this.scheduleHangupAfterOpen(),
    });
    this.codes = new DoorCodes({
      doors: d.config.doors,
      maxFailures: ic.code_max_failures,
      lockoutMs: ic.code_lockout_s * 1000,
      clock: d.clock,
      onOutcome: (o) => {
        this.doors.onCode(o);
        this.publish();
      },
    });
    d.ua?.on('incoming', (call) => this.onIncoming(call));
    d.ua?.on('rejected', (r) =>
      d.events.append('rejected_call', { from: r.from, source: `${r.source.address}:${r.source.port}`, reason: r.reason, status: r.status }),
    );
    this.publish();
  }

  private get ic() {
    return this.d.config.intercom;
  }

  // ---------------------------------------------------------------- outgoing: button -> plan

  press(buttonId: string, source: string): void {
    if (this.closed) return;
    const button = this.d.config.buttons.find((b) => b.id === buttonId);
    if (!button) return;
    const cur = this.current;
    if (cur) {
      const policy = cur.state === 'ringing' ? this.ic.press_while_ringing : this.ic.press_during_call;
      this.d.log.info({ button: buttonId, call: cur.id, state: cur.state, policy }, 'button pressed during a call');
      if (policy === 'cancel' || policy === 'hangup') this.hangup(`button ${buttonId} pressed again`);
      return;
    }
    const ua = this.d.ua;
    if (!ua) {
      this.d.log.warn({ button: buttonId }, 'button pressed but SIP is not running');
      return;
    }
    if (button.call.length === 0) {
      this.d.log.warn({ button: buttonId }, 'button pressed but it has no call targets');
      this.d.events.append('call_failed', { button: buttonId, reason: 'no call targets are configured for this button' });
      return;
    }
    const rec = this.newRecord('outgoing', button.call.join(', '));
    rec.button = buttonId;
    const early = new EarlyMedia<OutgoingLeg>();
    const plan = new CallPlan<OutgoingLeg | PanelLeg>({
      targets: button.call,
      mode: button.mode,
      ringTimeoutMs: this.ic.ring_timeout_s * 1000,
      perTargetMs: this.ic.sequential_ring_s * 1000,
      clock: this.d.clock,
      dial: (target) => this.dial(ua, rec, early, target),
    });
    rec.plan = plan;
    plan.on('dialing', ({ target }) => this.d.log.info({ call: rec.id, target }, 'calling'));
    plan.on('answered', ({ leg }) => {
      rec.peer = leg.target;
      if (leg.session) this.connected(rec, leg.session);
    });
    plan.on('failed', ({ reason, results }) => {
      // the plan has cancelled every leg still ringing
      this.d.events.append('call_failed', { call: rec.id, reason, results });
      this.end(rec, reason);
    });
    // the INVITEs go out first; the log write (a synchronous append, slow on an SD card) and the
    // ringback follow. With targets present the plan cannot fail synchronously, so the log order holds.
    plan.start();
    this.d.events.append('ring', { call: rec.id, button: buttonId, source, targets: button.call, mode: button.mode });
    if (this.ic.ringback) this.d.audio.startRingback();
  }

  private dial(ua: IntercomUserAgent, rec: CallRecord, early: EarlyMedia<OutgoingLeg>, target: string): OutgoingLeg | PanelLeg {
    if (target === PANEL_TARGET && this.d.phone) {
      // a browser that stops sending (phone locked, Wi-Fi lost) ends the call within seconds
      return this.d.phone.dial(rec.id, { clock: this.d.clock, mediaClock: this.d.media.mediaClock, capture: this.d.audio.capture, playback: this.d.audio.playback, rtpTimeoutMs: 4000 });
    }
    const leg = new OutgoingLeg(target, ua, this.mediaDeps(), {
      claimEarlyMedia: (l) => early.claim(l),
      onEarlyMedia: (l) => {
        this.d.audio.stopRingback();
        this.d.log.info({ call: rec.id, target: l.target }, 'early media from the PBX');
      },
      onEnded: (l, reason, by) => {
        if (rec.session && rec.session === l.session) this.end(rec, reason, by);
      },
      log: (msg, details) => this.d.log.warn({ call: rec.id, ...details }, msg),
    });
    void leg.start();
    return leg;
  }

  private mediaDeps(): CallMediaDeps {
    return { ...this.d.media, capture: this.d.audio.capture, playback: this.d.audio.playback };
  }

  // ---------------------------------------------------------------- incoming: PBX -> door

  private onIncoming(call: IncomingSipCall): void {
    const peer = callerName(call);
    const source = `${call.source.address}:${call.source.port}`;
    if (this.closed || !callerAllowed(call, this.ic.allowed_callers)) {
      call.reject(403, 'Forbidden');
      this.d.events.append('rejected_call', { from: peer, source, reason: 'caller not in intercom.allowed_callers', status: 403 });
      return;
    }
    if (this.current) {
      call.reject(486, 'Busy Here');
      this.d.events.append('rejected_call', { from: peer, source, reason: 'busy: a call is in progress', status: 486 });
      return;
    }
    const rec = this.newRecord('incoming', peer);
    rec.incoming = call;
    this.d.events.append('incoming_call', { call: rec.id, from: peer, source });
    call.ring();
    // before the answer (CANCEL, the ring timeout); afterwards the session reports the end
    call.on('ended', (e) => {
      if (rec.state === 'ringing') this.end(rec, e.reason, e.by);
    });
    rec.timers.push(this.d.clock.setTimeout(() => void this.answerIncoming(rec, call), this.ic.answer_delay_ms));
  }

  private async answerIncoming(rec: CallRecord, call: IncomingSipCall): Promise<void> {
    if (rec.state !== 'ringing') return;
    let media: CallMedia;
    try {
      media = await CallMedia.open(this.mediaDeps());
    } catch (err) {
      call.reject(500, 'Server Internal Error');
      this.end(rec, (err as Error).message);
      return;
    }
    if (rec.state !== 'ringing') {
      media.close();
      return;
    }
    const session = new CallSession({ call, media, hangup: () => void call.bye(), log: (msg, d) => this.d.log.warn({ call: rec.id, ...d }, msg) });
    if (call.offer === '') {
      // RFC 3261 13.3.1 / RFC 3264 4: an INVITE without SDP: our offer goes in the 200, the answer
      // arrives with the ACK (the 'accepted' event carries it)
      call.on('accepted', ({ sdp }) => {
        const r = session.receiveAnswer(sdp);
        if (!r.ok) {
          this.d.log.warn({ call: rec.id, reason: r.reason }, 'the answer in the ACK is unusable; hanging up');
          this.hangup(`unusable answer: ${r.reason}`);
        }
      });
      call.accept(media.offer());
      this.connected(rec, session);
      return;
    }
    const r = media.answerOffer(call.offer);
    if (!r.ok) {
      session.close();
      call.reject(r.status, r.status === 488 ? 'Not Acceptable Here' : 'Bad Request');
      this.d.events.append('rejected_call', { from: rec.peer, reason: r.reason, status: r.status });
      this.end(rec, r.reason);
      return;
    }
    call.accept(r.sdp!);
    this.connected(rec, session);
  }

  // ---------------------------------------------------------------- the conversation

  private connected(rec: CallRecord, session: Conversation): void {
    if (!rec.transition('connected', this.d.clock.now())) return;
    rec.session = session;
    this.d.audio.stopRingback();
    session.on('digit', (e) => {
      this.d.log.debug({ call: rec.id, via: e.via }, 'DTMF digit');
      this.codes.digit(e.digit);
    });
    session.on('rtpTimeout', ({ silentMs }) => {
      this.d.log.warn({ call: rec.id, silentMs }, 'no RTP from the far end; hanging up');
      this.hangup('no audio from the far end (RTP timeout)');
    });
    session.on('media', ({ negotiated, held }) => {
      // RFC 3264 8.4: the peer's sendonly/inactive (or c=0.0.0.0) offer holds the call; sendrecv resumes it
      if (rec.transition(held ? 'held' : 'connected', this.d.clock.now())) {
        this.d.log.info({ call: rec.id, direction: negotiated.direction }, held ? 'call on hold' : 'call resumed');
      }
      this.publish();
    });
    session.on('ended', (e) => this.end(rec, e.reason, e.by));
    const n = session.negotiated;
    this.d.events.append('answer', { call: rec.id, peer: rec.peer, direction: rec.direction, codec: n?.codec });
    const maxMs = this.ic.max_call_s * 1000;
    if (this.ic.warning_s > 0 && this.ic.warning_s * 1000 < maxMs) {
      rec.timers.push(this.d.clock.setTimeout(() => this.d.audio.warn(), maxMs - this.ic.warning_s * 1000));
    }
    rec.timers.push(this.d.clock.setTimeout(() => this.hangup('maximum call duration reached'), maxMs));
    this.publish();
  }

  private scheduleHangupAfterOpen(): void {
    const rec = this.current;
    if (this.ic.hangup_after_open_s > 0 && rec) {
      rec.timers.push(this.d.clock.setTimeout(() => this.hangup('door opened'), this.ic.hangup_after_open_s * 1000));
    }
  }

  openDoor(relayId: string, by: 'code' | 'api' | 'button' | 'panel', who: Record<string, unknown> = {}): { ms: number } {
    return this.doors.openDoor(relayId, by, who);
  }

  /** Hang up or stop ringing, whatever the call's state. Returns false when there was no call. */
  hangup(reason = 'hung up'): boolean {
    const rec = this.current;
    if (!rec) return false;
    if (rec.state === 'ringing') {
      if (rec.plan) rec.plan.cancel(reason);
      else {
        rec.incoming?.reject(480, 'Temporarily Unavailable');
        this.end(rec, reason, 'local');
      }
    } else {
      const session = rec.session;
      this.end(rec, reason, 'local'); // first, so the BYE's own 'ended' finds the call over
      session?.hangup();
    }
    return true;
  }

  private end(rec: CallRecord, reason: string, by?: string): void {
    const wasUp = rec.up;
    if (!rec.transition('ended', this.d.clock.now())) return;
    rec.endReason = reason;
    for (const t of rec.timers) this.d.clock.clearTimeout(t);
    rec.session?.media.close();
    if (this.current === rec) {
      this.d.audio.stop();
      this.codes.reset();
      this.current = null;
    }
    this.lastEnded = rec;
    if (wasUp || rec.direction === 'incoming') {
      this.d.events.append('hangup', {
        call: rec.id,
        reason,
        ...(by ? { by } : {}),
        duration_s: rec.answeredAt !== undefined ? Math.round((rec.endedAt! - rec.answeredAt) / 1000) : 0,
      });
    }
    this.publish();
  }

  private newRecord(direction: CallRecord['direction'], peer: string): CallRecord {
    const rec = new CallRecord((this.d.newCallId ?? defaultCallId)(), direction, peer, this.d.clock.now());
    this.current = rec;
    this.publish();
    this.statusTimer ??= this.d.clock.setTimeout(() => this.tickStatus(), 1000);
    return rec;
  }

  private tickStatus(): void {
    this.statusTimer = undefined;
    this.publish();
    if (this.current && !this.closed) this.statusTimer = this.d.clock.setTimeout(() => this.tickStatus(), 1000);
  }

  private publish(): void {
    const now = this.d.clock.now();
    const calls = [this.current, this.lastEnded].filter((c): c is CallRecord => c !== null).map((c) => describeCall(c, now));
    this.d.hub.set('calls', calls);
    this.d.hub.set('doors', {
      list: this.d.config.doors.map((d) => ({ relay: d.relay, contact: d.contact ?? null })),
      codes: this.codes.status(),
    });
  }

  close(): void {
    if (this.closed) return;
    this.hangup('portier is stopping');
    this.closed = true;
    this.d.clock.clearTimeout(this.statusTimer);
  }
}
