import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { PortierError } from '../util/errors.js';
import type { Transport, TransportMessage } from './transport.js';
import type { Endpoint } from './types.js';

export interface UdpTransportOptions {
  /** IPv4 or IPv6 literal to bind ("0.0.0.0", "::", "127.0.0.1", "::1") */
  address: string;
  /** 0 picks a free port */
  port: number;
  /** datagrams larger than this are dropped (default 65507) */
  maxMessageSize?: number;
  /**
   * kernel receive buffer in bytes (default 1 MiB, capped by net.core.rmem_max): a flood must
   * overflow the rate limiter, not the socket, or the PBX's INVITE is lost before we see it
   */
  recvBufferSize?: number;
  /** the address written into Via/Contact when bound to a wildcard ("0.0.0.0", "::") */
  advertisedAddress?: string;
}

export function isWildcardAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '';
}

/**
 * What to write into Via/Contact for a socket bound to a wildcard when the caller did not say:
 * the first non-internal address of the family (a door is on one LAN), else loopback.
 */
export function defaultAdvertisedAddress(v6: boolean): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal || (a.family === 'IPv6') !== v6) continue;
      if (v6 && a.address.toLowerCase().startsWith('fe80')) continue;
      return a.address;
    }
  }
  return v6 ? '::1' : '127.0.0.1';
}

/** SIP over UDP (RFC 3261 18): one datagram is one message. Only this file touches dgram. */
export class UdpTransport implements Transport {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  private socket: dgram.Socket | undefined;
  private bound: Endpoint;
  private handlers: ((m: TransportMessage) => void)[] = [];
  private errorHandlers: ((e: Error) => void)[] = [];
  private readonly max: number;
  /** datagrams dropped for size */
  oversize = 0;

  constructor(private readonly opts: UdpTransportOptions) {
    this.bound = { transport: 'udp', address: opts.address, port: opts.port };
    this.max = opts.maxMessageSize ?? 65507;
  }

  get local(): Endpoint {
    return this.bound;
  }

  /** Bind the socket (the constructor does no I/O). */
  listen(): Promise<this> {
    const v6 = this.opts.address.includes(':');
    const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6 });
    this.socket = socket;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new PortierError('SIP_TRANSPORT', `cannot bind UDP ${this.opts.address}:${this.opts.port}: ${err.message}`, { cause: err }));
      socket.once('error', onError);
      socket.bind(this.opts.port, this.opts.address, () => {
        socket.off('error', onError);
        try {
          socket.setRecvBufferSize(this.opts.recvBufferSize ?? 1 << 20);
        } catch {
          /* the kernel keeps its default */
        }
        const a = socket.address();
        const shown = this.opts.advertisedAddress ?? (isWildcardAddress(a.address) ? defaultAdvertisedAddress(v6) : a.address);
        this.bound = { transport: 'udp', address: shown, port: a.port };
        socket.on('error', (err) => this.errorHandlers.forEach((h) => h(err)));
        socket.on('message', (data, rinfo) => {
          if (data.length > this.max) {
            this.oversize++;
            return;
          }
          const msg: TransportMessage = {
            data: new Uint8Array(data.buffer, data.byteOffset, data.length),
            source: { transport: 'udp', address: rinfo.address, port: rinfo.port },
            local: this.bound,
          };
          for (const h of this.handlers) h(msg);
        });
        resolve(this);
      });
    });
  }

  send(destination: Endpoint, data: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new PortierError('SIP_TRANSPORT', 'UDP transport is not listening'));
    if (data.length > this.max) return Promise.reject(new PortierError('SIP_TRANSPORT', `message of ${data.length} bytes exceeds ${this.max}`));
    return new Promise((resolve, reject) => {
      socket.send(data, destination.port, destination.address, (err) => {
        if (err) reject(new PortierError('SIP_TRANSPORT', `UDP send to ${destination.address}:${destination.port} failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  onMessage(handler: (msg: TransportMessage) => void): void {
    this.handlers.push(handler);
  }

  onError(handler: (err: Error) => void): void {
    this.errorHandlers.push(handler);
  }

  close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        s.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
