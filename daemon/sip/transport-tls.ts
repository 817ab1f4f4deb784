import type net from 'node:net';
import tls from 'node:tls';
import { StreamTransport, type StreamTransportOptions } from './transport-tcp.js';
import type { Endpoint } from './types.js';

export interface TlsTransportOptions extends StreamTransportOptions {
  /** PEM certificate and key this side presents (server role, and client role if asked) */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** trusted CAs for verifying the peer (default: the system store) */
  ca?: string | Buffer | (string | Buffer)[];
  /** verify the server certificate when connecting (default true) */
  rejectUnauthorized?: boolean;
  /** SNI / name check host when connecting (default: the destination address) */
  servername?: string;
  connectTimeoutMs?: number;
}

/** SIP over TLS (RFC 3261 26.2.1): the TCP stream transport with node:tls sockets. */
export class TlsTransport extends StreamTransport {
  constructor(opts: TlsTransportOptions) {
    super('tls', opts, {
      listen: (onSocket) => tls.createServer({ cert: opts.cert, key: opts.key }, (s) => onSocket(s as unknown as net.Socket)),
      connect: (dest: Endpoint) =>
        new Promise((resolve, reject) => {
          const s = tls.connect({
            host: dest.address,
            port: dest.port,
            ca: opts.ca,
            cert: opts.cert,
            key: opts.key,
            rejectUnauthorized: opts.rejectUnauthorized ?? true,
            servername: opts.servername ?? (dest.address.includes(':') || /^[\d.]+$/.test(dest.address) ? undefined : dest.address),
          });
          const timer = setTimeout(() => {
            s.destroy();
            reject(new Error('connect timeout'));
          }, opts.connectTimeoutMs ?? 5000);
          timer.unref();
          s.once('secureConnect', () => {
            clearTimeout(timer);
            resolve(s as unknown as net.Socket);
          });
          s.once('error', (e) => {
            clearTimeout(timer);
            reject(e);
          });
        }),
    });
  }
}
