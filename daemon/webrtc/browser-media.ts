/**
 * A browser call's audio: portier's MediaSession (Opus at the microphone's rate, jitter buffer,
 * levels) over a BrowserPeer instead of a UDP socket pair, as the intercom's Conversation, so the
 * door's logic, status and event log treat it like a SIP call. Digits and re-offers do not exist
 * on this path: the panel opens the door with its own button.
 */
import { createCodec } from '../media/codecs/registry.js';
import type { CallSessionEvents, Conversation } from '../intercom/call-session.js';
import { MediaSession, type AudioCapture, type AudioPlayback, type MediaSessionStats, type TickSource } from '../media/media-session.js';
import type { Clock } from '../util/clock.js';
import { TypedEmitter } from '../util/events.js';
import { BROWSER_ADDRESS, BROWSER_OPUS_PT, type BrowserPeer } from './browser-peer.js';

export interface BrowserMediaDeps {
  clock: Clock;
  mediaClock: TickSource;
  capture: AudioCapture;
  playback: AudioPlayback;
  /** no audio from the browser for this long ends the call (a phone locked, Wi-Fi lost) */
  rtpTimeoutMs: number;
}

/**
 * The intercom's Conversation for a browser call: it is its own `media` (stats, close); `ended`
 * comes from the panel leg (hung up in the page, the page or its connection gone).
 */
export class BrowserMedia extends TypedEmitter<CallSessionEvents> implements Conversation {
  readonly negotiated = { codec: 'opus' as const, payloadType: BROWSER_OPUS_PT };
  readonly media = this;
  private readonly session: MediaSession;
  private closed = false;

  constructor(
    private readonly peer: BrowserPeer,
    deps: BrowserMediaDeps,
    private readonly hangupLeg: () => void,
  ) {
    super();
    const rate = deps.capture.sampleRate === 8000 || deps.capture.sampleRate === 16000 ? deps.capture.sampleRate : 48000;
    this.session = new MediaSession({
      clock: deps.clock,
      transport: peer,
      remote: { address: BROWSER_ADDRESS.address, rtpPort: BROWSER_ADDRESS.port, rtcpMux: true },
      codec: { codec: createCodec('opus', { opus: { sampleRate: rate } }), payloadType: BROWSER_OPUS_PT, ptimeMs: 20 },
      capture: deps.capture,
      playback: deps.playback,
      rtpTimeoutMs: deps.rtpTimeoutMs,
      mediaClock: deps.mediaClock,
    });
    this.session.on('rtpTimeout', (t) => this.emit('rtpTimeout', t));
    this.session.start();
  }

  get running(): boolean {
    return !this.closed;
  }

  stats(): MediaSessionStats | null {
    return this.closed ? null : this.session.stats();
  }

  /** The door hangs up. */
  hangup(): void {
    this.hangupLeg();
  }

  /** The call is over (the page hung up or went away): tell the intercom. */
  ended(reason: string, by: 'remote' | 'local'): void {
    this.emit('ended', { reason, by });
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
    this.peer.close();
  }
}
