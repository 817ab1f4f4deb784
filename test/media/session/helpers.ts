import type { AudioCapture, AudioPlayback } from '../../../daemon/media/media-session.js';
import type { DatagramHandler, RtpTransport } from '../../../daemon/media/rtp-socket.js';
import type { NetAddress } from '../../../daemon/media/rtp-session.js';

/** Capture that produces a continuous sine (phase kept across reads). */
export class ToneCapture implements AudioCapture {
  private n = 0;
  constructor(
    readonly freq: number,
    readonly sampleRate = 8000,
    private readonly amplitude = 8000,
  ) {}
  read(samples: number): Int16Array {
    const out = new Int16Array(samples);
    for (let i = 0; i < samples; i++, this.n++) {
      out[i] = Math.round(this.amplitude * Math.sin((2 * Math.PI * this.freq * this.n) / this.sampleRate));
    }
    return out;
  }
}

/** Playback that records everything written to it. */
export class RecordingPlayback implements AudioPlayback {
  frames: Int16Array[] = [];
  constructor(readonly sampleRate = 8000) {}
  write(pcm: Int16Array): void {
    this.frames.push(pcm.slice());
  }
  /** all samples, optionally only the last `ms` */
  samples(lastMs?: number): Int16Array {
    const all = new Int16Array(this.frames.reduce((n, f) => n + f.length, 0));
    let off = 0;
    for (const f of this.frames) {
      all.set(f, off);
      off += f.length;
    }
    if (lastMs === undefined) return all;
    return all.subarray(Math.max(0, all.length - Math.round((lastMs * this.sampleRate) / 1000)));
  }
}

/** Goertzel power of `freq` in `pcm`, normalised to the signal's total power (0..~1). */
export function toneShare(pcm: Int16Array, freq: number, rate: number): number {
  const k = (2 * Math.cos((2 * Math.PI * freq) / rate));
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (let i = 0; i < pcm.length; i++) {
    const s0 = pcm[i] + k * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += pcm[i] * pcm[i];
  }
  const power = s1 * s1 + s2 * s2 - k * s1 * s2;
  if (energy === 0) return 0;
  // a pure tone of N samples gives power ~ N^2 A^2 / 4 and energy ~ N A^2 / 2
  return power / (energy * pcm.length / 2);
}

/** An RtpTransport that records what is sent and lets a test inject datagrams. */
export class FakeTransport implements RtpTransport {
  readonly rtpPort = 20000;
  readonly rtcpPort = 20001;
  rtp: DatagramHandler = () => {};
  rtcp: DatagramHandler = () => {};
  sentRtp: { data: Uint8Array; to: NetAddress }[] = [];
  sentRtcp: { data: Uint8Array; to: NetAddress }[] = [];
  closed = 0;
  onRtp(fn: DatagramHandler): void {
    this.rtp = fn;
  }
  onRtcp(fn: DatagramHandler): void {
    this.rtcp = fn;
  }
  sendRtp(data: Uint8Array, to: NetAddress): void {
    this.sentRtp.push({ data, to });
  }
  sendRtcp(data: Uint8Array, to: NetAddress): void {
    this.sentRtcp.push({ data, to });
  }
  close(): void {
    this.closed++;
  }
}
