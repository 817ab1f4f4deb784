/**
 * The product logic: a button press rings the flat through a call plan, a call from the PBX is
 * answered, digits keyed during a call open the door, and every step lands in the event log and
 * the status the panel shows. One call at a time: the door has one speaker.
 */
import type { Config } from '../../config/schema.js';
import type { Relay } from '../../hal/types.js';
import type { IncomingCall, UserAgent } from '../sip/user-agent.js';
import type { StatusHub } from '../status-hub.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { PortierError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { CallMedia, type CallMediaDeps } from './call-media.js';
import { CallPlan } from './call-plan.js';
import type { DoorAudio } from './door-audio.js';
import { DoorCodes, type CodeOutcome } from './door-codes.js';
import type { EventLog } from './event-log.js';
import { OutgoingLeg } from './outgoing-leg.js';
import type { DtmfEvent } from '../media/dtmf.js';
import type { MediaSessionStats } from '../media/media-session.js';
import { PANEL_TARGET, type PanelLeg, type PanelPhone } from '../webrtc/panel-phone.js';

/** What the intercom needs of a call's audio: a SIP leg's CallMedia or a browser's BrowserMedia. */
interface CallAudio {
  readonly negotiated: { codec: string } | null;
  stats(): MediaSessionStats | null;
  close(): void;
  receiveInfo(contentType: string, body: string): { ok: boolean };
  answerOffer(sdp: string): { ok: true; sdp?: string } | { ok: false; status: number; reason: string };
  sendDigits(digits: string): { ok: true } | { ok: false; reason: string };
  on<K extends keyof CallAudioEvents>(event: K, fn: (e: CallAudioEvents[K]) => void): unknown;
}
interface CallAudioEvents {
  digit: DtmfEvent;
  rtpTimeout: { silentMs: number };
}

export type CallState = 'ringing' | 'connected' | 'ended';

interface CallRecord {
  id: string;
  direction: 'outgoing' | 'incoming';
  state: CallState;
  peer: string;
  button?: string;
  startedAt: number;
  answeredAt?: number;
  endedAt?: number;
  endReason?: string;
  plan?: CallPlan;
  legs: Set<OutgoingLeg | PanelLeg>;
  earlyLeg?: OutgoingLeg;
  /** the leg or incoming call that carries the conversation */
  active?: { media: CallAudio; hangup(): void };
  incoming?: IncomingCall;
  timers: TimerHandle[];
}

export interface IntercomDeps {
  config: Pick<Config, 'intercom' | 'buttons' | 'doors' | 'relays'>;
  ua: UserAgent | null;
  clock: Clock;
  media: Omit<CallMediaDeps, 'capture' | 'playback'>;
  audio: DoorAudio;
  relays: Map<string, Relay>;
  events: EventLog;
  hub: StatusHub;
  log: Logger;
  /** the browser phone: `"panel"` in a call list rings the logged-in panels */
  phone?: PanelPhone;
}

let callSeq = 0;

export class Intercom {
  private current: CallRecord | null = null;
  private lastEnded: CallRecord | null = null;
  private readonly codes: DoorCodes;
  private readonly pulseMs: Map<string, number>;
  private statusTimer: TimerHandle | undefined;
  private closed = false;

  constructor(private readonly d: IntercomDeps) {
    const ic = d.config.intercom;
    this.pulseMs = new Map(d.config.relays.map((r) => [r.id, r.pulse_ms]));
    this.codes = new DoorCodes({
      doors: d.config.doors,
      maxFailures: ic.code_max_failures,
      lockoutMs: ic.code_lockout_s * 1000,
      clock: d.clock,
      onOutcome: (o) => this.onCode(o),
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
    if (!this.d.ua) {
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
    const plan = new CallPlan({
      targets: button.call,
      mode: button.mode,
      ringTimeoutMs: this.ic.ring_timeout_s * 1000,
      perTargetMs: this.ic.sequential_ring_s * 1000,
      clock: this.d.clock,
      dial: (target) => this.dial(rec, target),
    });
    rec.plan = plan;
    plan.on('dialing', ({ target }) => this.d.log.info({ call: rec.id, target }, 'calling'));
    plan.on('answered', ({ leg }) => {
      const l = leg as OutgoingLeg | PanelLeg;
      rec.peer = l.target;
      this.connected(rec, { media: l.media!, hangup: () => l.hangup() });
    });
    plan.on('failed', ({ reason, results }) => {
      this.d.events.append('call_failed', { call: rec.id, reason, results });
      this.end(rec, reason);
    });
    // the INVITEs go out first; the log write (a synchronous append, slow on an SD card) and the
    // ringback follow. With targets present the plan cannot fail synchronously, so the log order holds.
    plan.start();
    this.d.events.append('ring', { call: rec.id, button: buttonId, source, targets: button.call, mode: button.mode });
    if (this.ic.ringback) this.d.audio.startRingback();
  }

  private dial(rec: CallRecord, target: string): OutgoingLeg | PanelLeg {
    if (target === PANEL_TARGET && this.d.phone) {
      const panelLeg = this.d.phone.dial(
        rec.id,
        // a browser that stops sending (phone locked, Wi-Fi lost) ends the call within seconds
        { clock: this.d.clock, mediaClock: this.d.media.mediaClock, capture: this.d.audio.capture, playback: this.d.audio.playback, rtpTimeoutMs: 4000 },
        { onEnded: (l, reason, by) => rec.active?.media === l.media && this.end(rec, reason, by) },
      );
      rec.legs.add(panelLeg);
      return panelLeg;
    }
    const leg = new OutgoingLeg(target, this.d.ua!, this.mediaDeps(), {
      claimEarlyMedia: (l) => {
        if (rec.earlyLeg && rec.earlyLeg !== l) return false;
        rec.earlyLeg = l;
        return true;
      },
      onEarlyMedia: (l) => {
        this.d.audio.stopRingback();
        this.d.log.info({ call: rec.id, target: l.target }, 'early media from the PBX');
      },
      onEnded: (l, reason, by) => {
        if (rec.active?.media === l.media) this.end(rec, reason, by);
      },
      log: (msg, details) => this.d.log.warn({ call: rec.id, ...details }, msg),
    });
    rec.legs.add(leg);
    void leg.start();
    return leg;
  }

  private mediaDeps(): CallMediaDeps {
    return { ...this.d.media, capture: this.d.audio.capture, playback: this.d.audio.playback };
  }

  // ---------------------------------------------------------------- incoming: PBX -> door

  private callerAllowed(call: IncomingCall): boolean {
    const allowed = this.ic.allowed_callers;
    if (allowed.length === 0) return true;
    const uri = call.from.uri;
    const full = `${uri.scheme}:${uri.user ? `${uri.user}@` : ''}${uri.host}`;
    return allowed.some((a) => a === uri.user || a.toLowerCase() === full.toLowerCase());
  }

  private onIncoming(call: IncomingCall): void {
    const from = call.from.uri;
    const peer = `${from.scheme}:${from.user ? `${from.user}@` : ''}${from.host}`;
    const source = `${call.source.address}:${call.source.port}`;
    if (this.closed || !this.callerAllowed(call)) {
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
    call.on('ended', (e) => this.end(rec, e.reason, e.by));
    call.on('failed', (e) => this.end(rec, e.reason));
    call.on('info', (i) => rec.active?.media.receiveInfo(i.contentType ?? '', i.body));
    call.on('reinvite', (r) => this.reoffer(rec, r));
    rec.timers.push(this.d.clock.setTimeout(() => void this.answerIncoming(rec, call), this.ic.answer_delay_ms));
  }

  private async answerIncoming(rec: CallRecord, call: IncomingCall): Promise<void> {
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
    const r = media.answerOffer(call.offer);
    if (!r.ok) {
      media.close();
      call.reject(r.status, r.status === 488 ? 'Not Acceptable Here' : 'Bad Request');
      this.d.events.append('rejected_call', { from: rec.peer, reason: r.reason, status: r.status });
      this.end(rec, r.reason);
      return;
    }
    call.accept(r.sdp!);
    this.connected(rec, { media, hangup: () => void call.bye() });
  }

  private reoffer(rec: CallRecord, r: { sdp: string; answer(sdp: string): void; reject(status?: number): void }): void {
    const media = rec.active?.media;
    const out = media?.answerOffer(r.sdp);
    if (out?.ok) r.answer(out.sdp!);
    else r.reject(out && !out.ok ? out.status : 488);
  }

  // ---------------------------------------------------------------- the conversation

  private connected(rec: CallRecord, active: { media: CallAudio; hangup(): void }): void {
    if (rec.state !== 'ringing') return;
    rec.state = 'connected';
    rec.answeredAt = this.d.clock.now();
    rec.active = active;
    this.d.audio.stopRingback();
    active.media.on('digit', (e) => {
      this.d.log.debug({ call: rec.id, via: e.via }, 'DTMF digit');
      this.codes.digit(e.digit);
    });
    active.media.on('rtpTimeout', ({ silentMs }) => {
      this.d.log.warn({ call: rec.id, silentMs }, 'no RTP from the far end; hanging up');
      this.hangup('no audio from the far end (RTP timeout)');
    });
    const n = active.media.negotiated;
    this.d.events.append('answer', { call: rec.id, peer: rec.peer, direction: rec.direction, codec: n?.codec });
    const maxMs = this.ic.max_call_s * 1000;
    if (this.ic.warning_s > 0 && this.ic.warning_s * 1000 < maxMs) {
      rec.timers.push(this.d.clock.setTimeout(() => this.d.audio.warn(), maxMs - this.ic.warning_s * 1000));
    }
    rec.timers.push(this.d.clock.setTimeout(() => this.hangup('maximum call duration reached'), maxMs));
    this.publish();
  }

  private onCode(o: CodeOutcome): void {
    const call = this.current?.id;
    switch (o.kind) {
      case 'open':
        this.openDoor(o.relay, 'code');
        if (this.ic.hangup_after_open_s > 0 && this.current) {
          const rec = this.current;
          rec.timers.push(this.d.clock.setTimeout(() => this.hangup('door opened'), this.ic.hangup_after_open_s * 1000));
        }
        break;
      case 'failed':
        this.d.events.append('code_failed', { call, failures: o.failures, digits: o.entered });
        break;
      case 'lockout':
        this.d.events.append('lockout', { call, seconds: o.seconds, failures: o.failures });
        break;
      case 'refused':
        this.d.events.append('code_failed', { call, locked: true, locked_for_s: Math.ceil(o.lockedForMs / 1000) });
        break;
    }
    this.publish();
  }

  openDoor(relayId: string, by: 'code' | 'api' | 'button' | 'panel', who: Record<string, unknown> = {}): { ms: number } {
    const relay = this.d.relays.get(relayId);
    if (!relay) throw new PortierError('NOT_FOUND', `no relay "${relayId}" (relays: ${[...this.d.relays.keys()].join(', ') || 'none'})`);
    const ms = this.pulseMs.get(relayId) ?? 3000;
    relay.pulse(ms);
    this.d.events.append('door_open', { relay: relayId, by, ms, call: this.current?.id, ...who });
    return { ms };
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
      const active = rec.active;
      this.end(rec, reason, 'local'); // first, so the BYE's own 'ended' finds the call over
      active?.hangup();
    }
    return true;
  }

  /** Send digits into the current call (RFC 4733), e.g. to drive a PBX feature. */
  sendDigits(digits: string): { ok: true } | { ok: false; reason: string } {
    const media = this.current?.active?.media;
    if (!media) return { ok: false, reason: 'no call is connected' };
    return media.sendDigits(digits);
  }

  private end(rec: CallRecord, reason: string, by?: string): void {
    if (rec.state === 'ended') return;
    const wasConnected = rec.state === 'connected';
    rec.state = 'ended';
    rec.endedAt = this.d.clock.now();
    rec.endReason = reason;
    for (const t of rec.timers) this.d.clock.clearTimeout(t);
    for (const leg of rec.legs) if (leg.media !== rec.active?.media) leg.cancel();
    rec.active?.media.close();
    if (this.current === rec) {
      this.d.audio.stop();
      this.codes.reset();
      this.current = null;
    }
    this.lastEnded = rec;
    if (wasConnected || rec.direction === 'incoming') {
      this.d.events.append('hangup', {
        call: rec.id,
        reason,
        ...(by ? { by } : {}),
        duration_s: rec.answeredAt ? Math.round((rec.endedAt - rec.answeredAt) / 1000) : 0,
      });
    }
    this.publish();
  }

  private newRecord(direction: CallRecord['direction'], peer: string): CallRecord {
    const rec: CallRecord = {
      id: `c${Date.now().toString(36)}${(++callSeq).toString(36)}`,
      direction,
      state: 'ringing',
      peer,
      startedAt: this.d.clock.now(),
      legs: new Set(),
      timers: [],
    };
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

  private describe(rec: CallRecord): Record<string, unknown> {
    const now = rec.endedAt ?? this.d.clock.now();
    const stats = rec.active?.media.stats();
    const n = rec.active?.media.negotiated;
    return {
      id: rec.id,
      direction: rec.direction,
      state: rec.state,
      peer: rec.peer,
      codec: n?.codec ?? null,
      duration_s: rec.answeredAt ? Math.round((now - rec.answeredAt) / 1000) : 0,
      ringing_s: Math.round(((rec.answeredAt ?? now) - rec.startedAt) / 1000),
      ...(rec.button ? { button: rec.button } : {}),
      ...(rec.endReason ? { end_reason: rec.endReason } : {}),
      ...(stats
        ? {
            media: {
              packets_sent: stats.packetsSent,
              packets_received: stats.packetsReceived,
              loss: Number(stats.loss.toFixed(4)),
              jitter_ms: Number(stats.jitterMs.toFixed(1)),
              rtt_ms: stats.rttMs === null ? null : Number(stats.rttMs.toFixed(1)),
              level_in_dbfs: Math.round(stats.levelInDbfs),
              level_out_dbfs: Math.round(stats.levelOutDbfs),
              jitter_buffer: stats.jitterBuffer,
              bleed: stats.bleed,
              digits_received: stats.digitsReceived,
            },
          }
        : {}),
    };
  }

  private publish(): void {
    const calls = [this.current, this.lastEnded].filter((c): c is CallRecord => c !== null).map((c) => this.describe(c));
    this.d.hub.set('calls', calls);
    this.d.hub.set('doors', {
      list: this.d.config.doors.map((d) => ({ relay: d.relay, contact: d.contact ?? null })),
      codes: this.codes.status(),
    });
  }

  get currentCall(): Record<string, unknown> | null {
    return this.current ? this.describe(this.current) : null;
  }

  close(): void {
    if (this.closed) return;
    this.hangup('portier is stopping');
    this.closed = true;
    this.d.clock.clearTimeout(this.statusTimer);
  }
}
