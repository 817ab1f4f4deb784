/**
 * The send side of an RTP session (RFC 3550 5.1): random SSRC and initial sequence number and
 * timestamp, one sequence number per packet, the timestamp advancing with the media clock, and the
 * marker bit on the first packet of a talkspurt (RFC 3551 4.1).
 */
import { serializeRtp } from './rtp-packet.js';

export interface RtpSenderOptions {
  payloadType: number;
  /** source of randomness for SSRC / initial seq / initial timestamp (RFC 3550 5.1, 8.1) */
  random?: () => number;
  ssrc?: number;
}

export interface RtpSenderStats {
  ssrc: number;
  packetsSent: number;
  /** payload octets (RFC 3550 6.4.1 sender's octet count) */
  payloadBytesSent: number;
  /** whole RTP packets (header + payload), comparable with bytesReceived */
  bytesSent: number;
  /** RTP timestamp of the last packet sent */
  lastTimestamp: number;
}

/**
 * The send side: one SSRC, a sequence number that increments per packet and a timestamp that
 * advances by the samples each frame covers. Marker bit on the first packet of a talkspurt
 * (RFC 3551 4.1): at start and after `pause()`.
 */
export class RtpSender {
  readonly ssrc: number;
  private payloadType: number;
  private seq: number;
  private ts: number;
  private markNext = true;
  private packets = 0;
  private octets = 0;
  private bytes = 0;
  private lastTs: number;

  constructor(opts: RtpSenderOptions) {
    const rnd = opts.random ?? Math.random;
    this.ssrc = (opts.ssrc ?? Math.floor(rnd() * 0x100000000)) >>> 0;
    this.seq = Math.floor(rnd() * 0x10000) & 0xffff;
    this.ts = Math.floor(rnd() * 0x100000000) >>> 0;
    this.lastTs = this.ts;
    this.payloadType = opts.payloadType;
  }

  /** The timestamp the next audio frame will carry. */
  get timestamp(): number {
    return this.ts;
  }

  setPayloadType(pt: number): void {
    this.payloadType = pt;
  }

  /** One audio frame covering `samples` RTP clock ticks; returns the datagram. */
  audio(payload: Uint8Array, samples: number): Uint8Array {
    const out = this.packet(this.payloadType, payload, this.ts, this.markNext);
    this.markNext = false;
    this.ts = (this.ts + samples) >>> 0;
    return out;
  }

  /** A packet with an explicit payload type, timestamp and marker (telephone-event). */
  packet(payloadType: number, payload: Uint8Array, timestamp: number, marker: boolean): Uint8Array {
    const out = serializeRtp({ marker, payloadType, seq: this.seq, timestamp, ssrc: this.ssrc }, payload);
    this.seq = (this.seq + 1) & 0xffff;
    this.packets++;
    this.octets += payload.length;
    this.bytes += out.length;
    this.lastTs = timestamp;
    return out;
  }

  /** Time passes without audio being sent (hold, silence, a DTMF event): the next frame is marked. */
  skip(samples: number): void {
    this.ts = (this.ts + samples) >>> 0;
    this.markNext = true;
  }

  stats(): RtpSenderStats {
    return { ssrc: this.ssrc, packetsSent: this.packets, payloadBytesSent: this.octets, bytesSent: this.bytes, lastTimestamp: this.lastTs };
  }
}
