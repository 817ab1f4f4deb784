/**
 * A fake user agent for the intercom's unit tests: calls are emitters the test drives (progress,
 * accepted, re-INVITE/UPDATE offers, the ACK's answer, INFO, BYE), and a fake RTP transport per
 * call records what the door sends and lets the test deliver the phone's packets.
 */
import type { CallEvents, IncomingSipCall, IntercomUaEvents, IntercomUserAgent, OutgoingSipCall } from '../../daemon/intercom/sip-port.js';
import { serializeTelephoneEvent, digitToEventCode } from '../../daemon/media/dtmf.js';
import { serializeRtp } from '../../daemon/media/rtp-packet.js';
import type { DatagramHandler, RtpTransport } from '../../daemon/media/rtp-socket.js';
import type { NetAddress } from '../../daemon/media/rtp-session.js';
import type { Endpoint, NameAddr } from '../../daemon/sip/types.js';
import { TypedEmitter } from '../../daemon/util/events.js';

export const PHONE_IP = '10.0.0.20';

/** The phone's SDP: PCMU + telephone-event, at `port`, with a direction and event payload type. */
export function phoneSdp(o: { port?: number; dir?: string; tePt?: number; version?: number; address?: string } = {}): string {
  const te = o.tePt ?? 101;
  const addr = o.address ?? PHONE_IP;
  return [
    'v=0',
    `o=phone 42 ${o.version ?? 1} IN IP4 ${addr}`,
    's=-',
    `c=IN IP4 ${addr}`,
    't=0 0',
    `m=audio ${o.port ?? 30000} RTP/AVP 0 ${te}`,
    'a=rtpmap:0 PCMU/8000',
    `a=rtpmap:${te} telephone-event/8000`,
    `a=fmtp:${te} 0-16`,
    `a=${o.dir ?? 'sendrecv'}`,
    '',
  ].join('\r\n');
}

/** What the door answered (or refused) for one offer the phone made. */
export interface OfferOutcome {
  answer?: string;
  rejected?: number;
}

abstract class FakeCall extends TypedEmitter<CallEvents> {
  /** The phone sends an offer in a re-INVITE (or UPDATE); '' for an SDP-less re-INVITE. */
  reoffer(sdp: string, method: 'INVITE' | 'UPDATE' = 'INVITE'): OfferOutcome {
    const out: OfferOutcome = {};
    this.emit('reinvite', { method, sdp, answer: (s) => (out.answer = s), reject: (st = 488) => (out.rejected = st) });
    return out;
  }

  /** The ACK for the door's 200 that held an offer, with the phone's answer. */
  ack(sdp: string): void {
    this.emit('answer', { sdp });
  }

  info(contentType: string, body: string): void {
    this.emit('info', { contentType, body });
  }

  remoteBye(): void {
    this.emit('ended', { reason: 'remote hangup', by: 'remote' });
  }
}

export class FakeOutgoingCall extends FakeCall implements OutgoingSipCall {
  hungUp = 0;
  constructor(
    readonly target: string,
    readonly sdp: string,
  ) {
    super();
  }
  hangup(): void {
    this.hungUp++;
    this.emit('ended', { reason: 'hangup', by: 'local' });
  }
  ring(): void {
    this.emit('progress', { status: 180, reason: 'Ringing' });
  }
  answer(sdp: string): void {
    this.emit('accepted', { sdp });
  }
}

export class FakeIncomingCall extends FakeCall implements IncomingSipCall {
  readonly from: NameAddr = { uri: { scheme: 'sip', user: '200', host: '10.0.0.1', params: {}, headers: {} }, params: {} };
  readonly source: Endpoint = { transport: 'udp', address: '10.0.0.1', port: 5060 };
  rang = false;
  accepted: string | undefined;
  rejected: number | undefined;
  byes = 0;
  constructor(readonly offer: string) {
    super();
  }
  ring(): void {
    this.rang = true;
  }
  accept(sdp: string): boolean {
    this.accepted = sdp;
    return true;
  }
  reject(status = 486): void {
    this.rejected = status;
    this.emit('ended', { reason: `rejected with ${status}`, by: 'local' });
  }
  bye(): Promise<void> {
    this.byes++;
    this.emit('ended', { reason: 'hangup', by: 'local' });
    return Promise.resolve();
  }
  /** the caller's ACK for our 200 (with the answer when the INVITE had no offer) */
  confirm(sdp = this.offer): void {
    this.emit('accepted', { sdp });
  }
}

export class FakeUa extends TypedEmitter<IntercomUaEvents & Record<string, unknown>> implements IntercomUserAgent {
  readonly calls: FakeOutgoingCall[] = [];
  invite(target: string, opts: { sdp: string }): OutgoingSipCall {
    const c = new FakeOutgoingCall(target, opts.sdp);
    this.calls.push(c);
    return c;
  }
  call(offer: string): FakeIncomingCall {
    const c = new FakeIncomingCall(offer);
    this.emit('incoming', c);
    return c;
  }
}

/** A socket pair the test reads and writes: RTP the door sent, by destination port. */
export class FakeRtp implements RtpTransport {
  readonly rtcpPort: number;
  readonly sent: { to: NetAddress; pt: number }[] = [];
  private rtp: DatagramHandler | undefined;
  private seq = 1;
  private ts = 1000;
  closed = false;
  constructor(readonly rtpPort: number) {
    this.rtcpPort = rtpPort + 1;
  }
  onRtp(fn: DatagramHandler): void {
    this.rtp = fn;
  }
  onRtcp(): void {}
  sendRtp(data: Uint8Array, to: NetAddress): void {
    this.sent.push({ to: { ...to }, pt: data[1] & 0x7f });
  }
  sendRtcp(): void {}
  close(): void {
    this.closed = true;
  }
  /** packets the door sent to `port` */
  sentTo(port: number): number {
    return this.sent.filter((p) => p.to.port === port).length;
  }
  /** The phone keys `digit` as RFC 4733 events with payload type `pt` (start, end x3). */
  keyDigit(digit: string, pt: number, from: NetAddress = { address: PHONE_IP, port: 30000 }): void {
    const event = digitToEventCode(digit)!;
    const ts = (this.ts += 1600);
    const packets = [
      { marker: true, end: false, duration: 160 },
      { marker: false, end: false, duration: 640 },
      { marker: false, end: true, duration: 800 },
      { marker: false, end: true, duration: 800 },
    ];
    for (const p of packets) {
      const payload = serializeTelephoneEvent({ event, end: p.end, volume: 10, duration: p.duration });
      this.rtp?.(serializeRtp({ marker: p.marker, payloadType: pt, seq: this.seq++, timestamp: ts, ssrc: 0x1234 }, payload), from);
    }
  }
}
