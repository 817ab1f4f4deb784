/**
 * One browser on the far end of a door call: a werift RTCPeerConnection (DTLS-SRTP, ICE with host
 * candidates, Opus) seen by the media engine as an RtpTransport. portier's own MediaSession runs
 * over it exactly as over a UDP socket pair: capture -> Opus -> RTP -> here -> SRTP to the browser,
 * and browser RTP -> here -> jitter buffer -> Opus decoder -> speaker. werift keeps RTCP, DTLS
 * and ICE to itself; sendRtcp is a no-op.
 *
 * werift is loaded on the first browser call (`await import`), so an idle door pays nothing for
 * it. The door makes the offer (non-trickle: the SDP carries every candidate once gathering is
 * complete) and takes the browser's answer.
 */
import type { DatagramHandler, RtpTransport } from '../media/rtp-socket.js';
import type { NetAddress } from '../media/rtp-session.js';
import { TypedEmitter } from '../util/events.js';

export interface BrowserPeerOptions {
  /** UDP ports ICE may use, inclusive (`webrtc.ports`) */
  ports?: [number, number];
  /** STUN/TURN servers for panels reached over a VPN (`webrtc.ice_servers`); none on the LAN */
  iceServers?: { urls: string; username?: string; credential?: string }[];
  /** how long gathering may take before the offer goes out with what it has */
  gatherTimeoutMs?: number;
}

export interface BrowserPeerEvents extends Record<string, unknown> {
  connected: void;
  /** the connection failed, closed, or lost ICE consent (RFC 7675) */
  closed: { reason: string };
}

/** The address the media session sees for the browser: one fixed pseudo source (nothing is sent to it: werift carries the packets), so the latch takes it at once. Not 0.0.0.0, which SDP reads as hold. */
export const BROWSER_ADDRESS: NetAddress = { address: '127.0.0.1', port: 9 };

/** Opus at 48 kHz, two channels signalled (RFC 7587 7), the payload type browsers use. */
export const BROWSER_OPUS_PT = 111;

type Werift = typeof import('werift');
let werift: Promise<Werift> | null = null;
const loadWerift = () => (werift ??= import('werift'));

export class BrowserPeer extends TypedEmitter<BrowserPeerEvents> implements RtpTransport {
  readonly rtpPort = 0;
  readonly rtcpPort = 0;
  private rtpHandler: DatagramHandler | null = null;
  private closedValue = false;
  private connectedValue = false;

  private constructor(
    private readonly pc: InstanceType<Werift['RTCPeerConnection']>,
    private readonly transceiver: InstanceType<Werift['RTCRtpTransceiver']>,
    readonly offer: string,
  ) {
    super();
    transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        if (this.closedValue || !this.rtpHandler) return;
        this.rtpHandler(rtp.serialize(), BROWSER_ADDRESS);
      });
    });
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected' && !this.connectedValue) {
        this.connectedValue = true;
        this.emit('connected', undefined);
      } else if (state === 'failed' || state === 'closed' || state === 'disconnected') {
        this.finish(state === 'disconnected' ? 'the browser went away (ICE consent lost)' : `the browser connection ${state}`);
      }
    });
  }

  /** Makes the door's offer for one browser. */
  static async create(opts: BrowserPeerOptions = {}): Promise<BrowserPeer> {
    const w = await loadWerift();
    const pc = new w.RTCPeerConnection({
      codecs: {
        audio: [new w.RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: BROWSER_OPUS_PT })],
        video: [],
      },
      iceServers: opts.iceServers ?? [],
      ...(opts.ports ? { icePortRange: opts.ports } : {}),
      iceUseIpv6: false,
    });
    const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
    await pc.setLocalDescription(await pc.createOffer());
    await waitGathered(pc, opts.gatherTimeoutMs ?? 3000);
    const sdp = pc.localDescription?.sdp;
    if (!sdp) {
      await pc.close();
      throw new Error('WebRTC: no local description after gathering');
    }
    return new BrowserPeer(pc, transceiver, sdp);
  }

  get connected(): boolean {
    return this.connectedValue;
  }

  /** The browser's answer to our offer. */
  async accept(answerSdp: string): Promise<void> {
    if (this.closedValue) throw new Error('WebRTC: the call is over');
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
  }

  onRtp(fn: DatagramHandler): void {
    this.rtpHandler = fn;
  }

  onRtcp(): void {
    /* werift answers and sends RTCP itself */
  }

  sendRtp(data: Uint8Array): void {
    if (this.closedValue || !this.connectedValue) return;
    // werift rewrites SSRC and payload type to what it negotiated
    void this.transceiver.sender.sendRtp(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).catch(() => {});
  }

  sendRtcp(): void {
    /* see onRtcp */
  }

  close(): void {
    this.finish('closed by the door');
  }

  private finish(reason: string): void {
    if (this.closedValue) return;
    this.closedValue = true;
    this.rtpHandler = null;
    void this.pc.close().catch(() => {});
    this.emit('closed', { reason });
  }
}

function waitGathered(pc: InstanceType<Werift['RTCPeerConnection']>, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, timeoutMs);
    const sub = pc.iceGatheringStateChange.subscribe((s) => {
      if (s === 'complete') done();
    });
    function done() {
      clearTimeout(t);
      sub.unSubscribe();
      resolve();
    }
  });
}
