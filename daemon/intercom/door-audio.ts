/**
 * The door's microphone and speaker as the calls see them: the HAL devices plus the tones portier
 * adds itself — ringback on the speaker while the call rings (when the PBX sends no early media), and
 * a warning beep before the maximum call duration ends the call, mixed into both directions so the
 * resident and the visitor hear it.
 */
import type { AudioCapture as HalCapture, AudioPlayback as HalPlayback } from '../../hal/types.js';
import type { AudioCapture, AudioPlayback, TickSource } from '../media/media-session.js';
import { ringbackTone, warningBeep, type TonePattern } from '../media/tone.js';

function mixInto(pcm: Int16Array, tone: Int16Array): Int16Array {
  const out = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i] + (tone[i] ?? 0);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

export class DoorAudio {
  private ringback: TonePattern | null = null;
  private stopRingbackTick: (() => void) | null = null;
  private warnCapture: TonePattern | null = null;
  private warnPlayback: TonePattern | null = null;
  private warnLeft = 0;
  private warnLeftPlayback = 0;

  /** what a MediaSession reads from: the microphone, with the warning beep mixed in */
  readonly capture: AudioCapture;
  /** what a MediaSession writes to: the speaker, with the warning beep mixed in */
  readonly playback: AudioPlayback;

  constructor(
    private readonly mic: HalCapture,
    private readonly speaker: HalPlayback,
    private readonly ticks: TickSource,
    private readonly tickMs = 20,
  ) {
    const self = this;
    this.capture = {
      get sampleRate() {
        return mic.sampleRate;
      },
      read(samples: number): Int16Array {
        const pcm = mic.read(samples);
        if (!self.warnCapture || self.warnLeft <= 0) return pcm;
        self.warnLeft -= samples;
        return mixInto(pcm, self.warnCapture.next(samples));
      },
    };
    this.playback = {
      get sampleRate() {
        return speaker.sampleRate;
      },
      write(pcm: Int16Array): void {
        if (self.warnPlayback && self.warnLeftPlayback > 0) {
          self.warnLeftPlayback -= pcm.length;
          speaker.write(mixInto(pcm, self.warnPlayback.next(pcm.length)));
        } else speaker.write(pcm);
      },
    };
  }

  /** Ringback on the door speaker, one frame per media tick, until stopRingback(). */
  startRingback(): void {
    if (this.ringback) return;
    this.ringback = ringbackTone(this.speaker.sampleRate);
    const samples = (this.speaker.sampleRate * this.tickMs) / 1000;
    this.stopRingbackTick = this.ticks.onTick(() => this.speaker.write(this.ringback!.next(samples)));
    this.ticks.start();
  }

  stopRingback(): void {
    this.stopRingbackTick?.();
    this.stopRingbackTick = null;
    this.ringback = null;
  }

  get ringing(): boolean {
    return this.ringback !== null;
  }

  /** Three short beeps into both directions (the warning before the call's time runs out). */
  warn(): void {
    this.warnCapture = warningBeep(this.mic.sampleRate);
    this.warnPlayback = warningBeep(this.speaker.sampleRate);
    this.warnLeft = this.mic.sampleRate; // one second covers the beeps
    this.warnLeftPlayback = this.speaker.sampleRate;
  }

  stop(): void {
    this.stopRingback();
    this.warnCapture = this.warnPlayback = null;
  }
}
