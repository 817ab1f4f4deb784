/**
 * UDP sockets for one call's RTP and RTCP (RTCP on RTP port + 1, RFC 3550 11; or rtcp-mux on the
 * RTP port, RFC 5761), with even RTP ports allocated from a configured range and released on
 * close. Receive is bounded: above a packet-rate budget, datagrams are dropped and counted.
 *
 * This is the only I/O in the media path; everything behind it is pure.
 */
import dgram from 'node:dgram';
import { PortierError } from '../util/errors.js';
import type { NetAddress } from './rtp-session.js';

export interface PortRange {
  min: number;
  max: number;
}

/** Parse "20000-20100" (inclusive). */
export function parsePortRange(text: string): { ok: true; range: PortRange } | { ok: false; reason: string } {
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(text);
  if (!m) return { ok: false, reason: `port range must look like "20000-20100", got ${JSON.stringify(text)}` };
  const min = Number(m[1]);
  const max = Number(m[2]);
  if (min < 1024 || max > 65535 || max < min + 1) {
    return { ok: false, reason: `port range ${text} must lie within 1024-65535 and hold at least one even/odd pair` };
  }
  return { ok: true, range: { min, max } };
}

/**
 * Hands out even RTP ports (RTCP = port + 1) from a range, round-robin so a just-released port
 * is not reused at once (late packets of the previous call).
 */
export class PortAllocator {
  readonly range: PortRange;
  private readonly inUse = new Set<number>();
  private next: number;

  constructor(range: PortRange | string) {
    if (typeof range === 'string') {
      const r = parsePortRange(range);
      if (!r.ok) throw new PortierError('CONFIG_INVALID', r.reason);
      this.range = r.range;
    } else this.range = range;
    this.next = this.firstEven();
  }

  private firstEven(): number {
    return this.range.min % 2 === 0 ? this.range.min : this.range.min + 1;
  }

  /** Number of RTP/RTCP pairs in the range. */
  get capacity(): number {
    let n = 0;
    for (let p = this.firstEven(); p + 1 <= this.range.max; p += 2) n++;
    return n;
  }

  get allocated(): number {
    return this.inUse.size;
  }

  /** The next free even port, or null when the range is exhausted. `skip` holds ports known to fail. */
  allocate(skip?: Set<number>): number | null {
    const cap = this.capacity;
    for (let i = 0; i < cap; i++) {
      const p = this.next;
      this.next += 2;
      if (this.next + 1 > this.range.max) this.next = this.firstEven();
      if (!this.inUse.has(p) && !skip?.has(p)) {
        this.inUse.add(p);
        return p;
      }
    }
    return null;
  }

  release(port: number): void {
    this.inUse.delete(port);
  }
}

export interface RtpSocketOptions {
  allocator: PortAllocator;
  /** local bind address, default 0.0.0.0 */
  address?: string;
  /** RTCP multiplexed on the RTP port (RFC 5761): no second socket */
  rtcpMux?: boolean;
  /**
   * receive budget of the RTP/RTCP pair, packets per second (RTCP adds 10 %); above it datagrams
   * are dropped and counted (default 1000, 20x a 20 ms stream)
   */
  maxPacketsPerSecond?: number;
  /** for the budget window; default performance.now */
  now?: () => number;
}

export interface RtpSocketStats {
  rtpPort: number;
  rtcpPort: number;
  received: number;
  sent: number;
  overloadDrops: number;
  sendErrors: number;
}

export type DatagramHandler = (data: Uint8Array, from: NetAddress) => void;

/** What the media session needs from a socket pair; tests may pass a fake. */
export interface RtpTransport {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  onRtp(fn: DatagramHandler): void;
  onRtcp(fn: DatagramHandler): void;
  sendRtp(data: Uint8Array, to: NetAddress): void;
  sendRtcp(data: Uint8Array, to: NetAddress): void;
  close(): void;
}

export class RtpSocket implements RtpTransport {
  private constructor(
    private readonly opts: RtpSocketOptions,
    readonly rtpPort: number,
    private readonly rtp: dgram.Socket,
    private readonly rtcp: dgram.Socket | null,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.budget = opts.maxPacketsPerSecond ?? 1000;
    rtp.on('message', (msg, rinfo) => this.deliver(msg, rinfo, 'rtp'));
    rtcp?.on('message', (msg, rinfo) => this.deliver(msg, rinfo, 'rtcp'));
    rtp.on('error', () => this.st.sendErrors++);
    rtcp?.on('error', () => this.st.sendErrors++);
  }

  private readonly now: () => number;
  private readonly budget: number;
  private windowStart = 0;
  private windowCount = 0;
  private rtpHandler: DatagramHandler = () => {};
  private rtcpHandler: DatagramHandler = () => {};
  private closed = false;
  private st = { received: 0, sent: 0, overloadDrops: 0, sendErrors: 0 };

  /** Binds an even RTP port (and port + 1 for RTCP) from the allocator, trying further pairs on EADDRINUSE. */
  static async open(opts: RtpSocketOptions): Promise<RtpSocket> {
    const address = opts.address ?? '0.0.0.0';
    const failed = new Set<number>();
    for (;;) {
      const port = opts.allocator.allocate(failed);
      if (port === null) {
        throw new PortierError(
          'MEDIA_ERROR',
          `no free RTP port pair in ${opts.allocator.range.min}-${opts.allocator.range.max}; widen media.rtp_ports or end calls`,
        );
      }
      const rtp = dgram.createSocket({ type: address.includes(':') ? 'udp6' : 'udp4' });
      const rtcp = opts.rtcpMux ? null : dgram.createSocket({ type: address.includes(':') ? 'udp6' : 'udp4' });
      try {
        await bind(rtp, port, address);
        if (rtcp) await bind(rtcp, port + 1, address);
        return new RtpSocket(opts, port, rtp, rtcp);
      } catch (err) {
        safeClose(rtp);
        if (rtcp) safeClose(rtcp);
        opts.allocator.release(port);
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' && code !== 'EACCES') {
          throw new PortierError('MEDIA_ERROR', `cannot bind RTP port ${port} on ${address}: ${String(err)}`, { cause: err });
        }
        failed.add(port);
      }
    }
  }

  get rtcpPort(): number {
    return this.rtcp ? this.rtpPort + 1 : this.rtpPort;
  }

  onRtp(fn: DatagramHandler): void {
    this.rtpHandler = fn;
  }

  onRtcp(fn: DatagramHandler): void {
    this.rtcpHandler = fn;
  }

  private deliver(msg: Buffer, rinfo: dgram.RemoteInfo, kind: 'rtp' | 'rtcp'): void {
    if (this.closed) return;
    // Bounded receive: a fixed budget per one-second window across both sockets.
    const t = this.now();
    if (t - this.windowStart >= 1000) {
      this.windowStart = t;
      this.windowCount = 0;
    }
    if (++this.windowCount > this.budget * (this.rtcp ? 1.1 : 1)) {
      this.st.overloadDrops++;
      return;
    }
    this.st.received++;
    const from = { address: rinfo.address, port: rinfo.port };
    const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    if (kind === 'rtcp') this.rtcpHandler(data, from);
    else this.rtpHandler(data, from);
  }

  sendRtp(data: Uint8Array, to: NetAddress): void {
    this.send(this.rtp, data, to);
  }

  sendRtcp(data: Uint8Array, to: NetAddress): void {
    this.send(this.rtcp ?? this.rtp, data, to);
  }

  private send(sock: dgram.Socket, data: Uint8Array, to: NetAddress): void {
    if (this.closed) return;
    this.st.sent++;
    sock.send(data, to.port, to.address, (err) => {
      if (err) this.st.sendErrors++;
    });
  }

  stats(): RtpSocketStats {
    return { rtpPort: this.rtpPort, rtcpPort: this.rtcpPort, ...this.st };
  }

  /** Closes both sockets and releases the port pair. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    safeClose(this.rtp);
    if (this.rtcp) safeClose(this.rtcp);
    this.opts.allocator.release(this.rtpPort);
  }
}

function bind(sock: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    sock.once('error', onError);
    sock.bind(port, address, () => {
      sock.off('error', onError);
      resolve();
    });
  });
}

function safeClose(sock: dgram.Socket): void {
  try {
    sock.close();
  } catch {
    // already closed
  }
}
