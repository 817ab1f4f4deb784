/**
 * The panel as a phone: when the door rings the panel (`"panel"` in a button's call list), a bar
 * with Answer and Decline appears, a ring sounds (Web Audio), the phone vibrates and, where the
 * resident allowed it, a notification shows. Answer -> the door sends a WebRTC offer over /ws, the
 * page answers with its microphone; during the call: Hang up, Mute and Open door (with a
 * confirmation). Signalling messages: see daemon/webrtc/panel-phone.ts.
 */
import { openDoor } from './controls.mjs';
import { fill, h } from './dom.mjs';

type Send = (msg: object) => boolean;
type PhoneState = { kind: 'idle' } | { kind: 'ringing'; call: string } | { kind: 'connecting'; call: string } | { kind: 'talking'; call: string };

export class PanelPhoneUi {
  private state: PhoneState = { kind: 'idle' };
  private pc: RTCPeerConnection | null = null;
  private mic: MediaStream | null = null;
  private muted = false;
  private confirmDoor = false;
  private ringer: { ctx: AudioContext; timer: number } | null = null;
  private notification: Notification | null = null;
  private readonly audio = new Audio();
  private note = '';

  constructor(
    private readonly root: HTMLElement,
    private readonly send: Send,
    private readonly door: () => string | null,
    private readonly toast: (text: string, bad?: boolean) => void,
  ) {
    this.audio.autoplay = true;
    this.render();
  }

  /** A `{type:"phone"}` message from the daemon. */
  onMessage(m: { event?: unknown; call?: unknown; sdp?: unknown; reason?: unknown }): void {
    const call = typeof m.call === 'string' ? m.call : '';
    switch (m.event) {
      case 'ring':
        if (this.state.kind !== 'idle') return;
        this.state = { kind: 'ringing', call };
        this.note = '';
        this.startRinging();
        break;
      case 'offer':
        if (this.state.kind === 'connecting' && this.state.call === call && typeof m.sdp === 'string') void this.answerOffer(call, m.sdp);
        return;
      case 'connected':
        if (this.state.kind === 'connecting' && this.state.call === call) this.state = { kind: 'talking', call };
        break;
      case 'stop':
      case 'ended':
        if (this.state.kind === 'idle' || this.state.call !== call) return;
        this.note = typeof m.reason === 'string' ? m.reason : '';
        this.finish();
        if (m.event === 'ended') this.toast(`Call ended${this.note ? `: ${this.note}` : ''}`);
        break;
      default:
        return;
    }
    this.render();
  }

  /** The daemon connection dropped: a call cannot go on without signalling. */
  onDisconnected(): void {
    if (this.state.kind === 'idle') return;
    this.finish();
    this.render();
  }

  private answer(): void {
    if (this.state.kind !== 'ringing') return;
    const call = this.state.call;
    this.stopRinging();
    this.state = { kind: 'connecting', call };
    if (!this.send({ type: 'phone', action: 'answer', call })) this.finish();
    this.render();
  }

  private decline(): void {
    if (this.state.kind !== 'ringing') return;
    this.send({ type: 'phone', action: 'decline', call: this.state.call });
    this.finish();
    this.render();
  }

  private hangUp(): void {
    if (this.state.kind === 'idle') return;
    this.send({ type: 'phone', action: 'hangup', call: this.state.call });
    this.finish();
    this.render();
  }

  private async answerOffer(call: string, offer: string): Promise<void> {
    try {
      this.mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
    } catch (err) {
      this.toast(`No microphone: ${(err as Error).message}. You will hear the door but it cannot hear you.`, true);
    }
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    pc.ontrack = (e) => {
      this.audio.srcObject = e.streams[0] ?? new MediaStream([e.track]);
      void this.audio.play().catch(() => {});
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') this.hangUp();
    };
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    if (this.mic) for (const t of this.mic.getAudioTracks()) pc.addTrack(t, this.mic);
    else pc.getTransceivers().forEach((t) => (t.direction = 'recvonly'));
    await pc.setLocalDescription(await pc.createAnswer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      const t = window.setTimeout(resolve, 2000);
      pc.onicegatheringstatechange = () => {
        if (pc.iceGatheringState === 'complete') (window.clearTimeout(t), resolve());
      };
    });
    if (this.pc !== pc) return;
    this.send({ type: 'phone', action: 'sdp', call, sdp: pc.localDescription?.sdp ?? '' });
  }

  private toggleMute(): void {
    this.muted = !this.muted;
    for (const t of this.mic?.getAudioTracks() ?? []) t.enabled = !this.muted;
    this.render();
  }

  private async open(): Promise<void> {
    const relay = this.door();
    if (!relay) return;
    if (!this.confirmDoor) {
      this.confirmDoor = true;
      this.render();
      return;
    }
    this.confirmDoor = false;
    const a = await openDoor(relay);
    this.toast(a.ok ? 'Door opened' : `Failed: ${a.error ?? 'unknown error'}`, !a.ok);
    this.render();
  }

  private startRinging(): void {
    navigator.vibrate?.([400, 200, 400, 200, 400]);
    try {
      const ctx = new AudioContext();
      const beep = () => {
        for (const [start, hz] of [[0, 880], [0.25, 660]] as const) {
          const o = ctx.createOscillator();
          const g = ctx.createGain();
          o.frequency.value = hz;
          g.gain.value = 0.15;
          o.connect(g).connect(ctx.destination);
          o.start(ctx.currentTime + start);
          o.stop(ctx.currentTime + start + 0.2);
        }
      };
      beep();
      this.ringer = { ctx, timer: window.setInterval(beep, 1500) };
    } catch {
      /* no audio output: the bar and the vibration still show it */
    }
    if ('Notification' in window && Notification.permission === 'granted' && document.hidden) {
      this.notification = new Notification('Someone is at the door', { body: 'Open the panel to answer.', tag: 'portier-ring' });
    }
  }

  private stopRinging(): void {
    navigator.vibrate?.(0);
    if (this.ringer) {
      window.clearInterval(this.ringer.timer);
      void this.ringer.ctx.close().catch(() => {});
      this.ringer = null;
    }
    this.notification?.close();
    this.notification = null;
  }

  private finish(): void {
    this.stopRinging();
    this.pc?.close();
    this.pc = null;
    for (const t of this.mic?.getTracks() ?? []) t.stop();
    this.mic = null;
    this.audio.srcObject = null;
    this.muted = false;
    this.confirmDoor = false;
    this.state = { kind: 'idle' };
  }

  private render(): void {
    const s = this.state;
    this.root.hidden = s.kind === 'idle';
    this.root.className = `phone phone-${s.kind}`;
    if (s.kind === 'idle') return fill(this.root);
    const title = s.kind === 'ringing' ? 'Someone is at the door' : s.kind === 'connecting' ? 'Connecting…' : 'Talking to the door';
    const ringing = s.kind === 'ringing';
    fill(
      this.root,
      h('p', { class: 'phone-title', id: 'phone-title' }, title),
      h(
        'div',
        { class: 'actions' },
        ringing ? h('button', { type: 'button', class: 'primary', id: 'phone-answer', onclick: () => this.answer() }, 'Answer') : null,
        ringing ? h('button', { type: 'button', class: 'danger', id: 'phone-decline', onclick: () => this.decline() }, 'Decline') : null,
        !ringing ? h('button', { type: 'button', class: 'danger', id: 'phone-hangup', onclick: () => this.hangUp() }, 'Hang up') : null,
        s.kind === 'talking'
          ? h('button', { type: 'button', id: 'phone-mute', 'aria-pressed': this.muted ? 'true' : 'false', onclick: () => this.toggleMute() }, this.muted ? 'Unmute' : 'Mute')
          : null,
        s.kind === 'talking' && this.door()
          ? h('button', { type: 'button', class: this.confirmDoor ? 'danger' : 'primary', id: 'phone-open', onclick: () => void this.open() }, this.confirmDoor ? 'Confirm: open the door' : 'Open door')
          : null,
      ),
    );
  }
}
