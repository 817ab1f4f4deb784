import net from 'node:net';
import { PortierError } from '../util/errors.js';
import { StreamFramer } from './stream-framer.js';
import { defaultAdvertisedAddress, isWildcardAddress } from './transport-udp.js';
import type { Transport, TransportMessage } from './transport.js';
import type { Endpoint } from './types.js';

/**
 * SIP over TCP (RFC 3261 18.3): messages framed by Content-Length, one connection per remote
 * endpoint reused both ways, idle connections closed. TLS (transport-tls.ts) reuses all of this
 * with a different socket factory. Only these files touch sockets.
 */
export interface StreamTransportOptions {
  address: string;
  port: number;
  /** a connection whose buffered message grows past this is closed (default 65535) */
  maxMessageSize?: number;
  /** close connections without traffic for this long (default 300 s; 0 = never) */
  idleTimeoutMs?: number;
  /** the address written into Via/Contact when bound to a wildcard ("0.0.0.0", "::") */
  advertisedAddress?: string;
  /** incoming connections beyond this many are closed at once (default 256) */
  maxConnections?: number;
}

type Proto = 'tcp' | 'tls';

export interface StreamSocketFactory {
  listen(onSocket: (s: net.Socket) => void): net.Server;
  /** resolves once the socket can carry data (connect / secureConnect) */
  connect(dest: Endpoint): Promise<net.Socket>;
}

interface Conn {
  socket: net.Socket;
  remote: Endpoint;
}

const connKey = (e: Endpoint) => `${e.address}|${e.port}`;

export class StreamTransport implements Transport {
  readonly reliable = true;
  private server: net.Server | undefined;
  private bound: Endpoint;
  private readonly conns = new Map<string, Conn>();
  private readonly pending = new Map<string, Promise<Conn>>();
  private handlers: ((m: TransportMessage) => void)[] = [];
  private errorHandlers: ((e: Error) => void)[] = [];
  private readonly max: number;
  private readonly idle: number;
  private closed = false;

  constructor(
    readonly protocol: Proto,
    private readonly opts: StreamTransportOptions,
    private readonly factory: StreamSocketFactory,
  ) {
    this.bound = { transport: protocol, address: opts.address, port: opts.port };
    this.max = opts.maxMessageSize ?? 65535;
    this.idle = opts.idleTimeoutMs ?? 300_000;
  }

  get local(): Endpoint {
    return this.bound;
  }

  /** Open connections (for tests and stats). */
  get connectionCount(): number {
    return this.conns.size;
  }

  listen(): Promise<this> {
    const server = this.factory.listen((s) => {
      if (this.conns.size >= (this.opts.maxConnections ?? 256)) {
        s.destroy();
        return;
      }
      const remote: Endpoint = { transport: this.protocol, address: s.remoteAddress ?? '', port: s.remotePort ?? 0 };
      this.adopt(s, remote);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) =>
        reject(new PortierError('SIP_TRANSPORT', `cannot listen on ${this.protocol} ${this.opts.address}:${this.opts.port}: ${err.message}`, { cause: err }));
      server.once('error', onError);
      server.listen(this.opts.port, this.opts.address, () => {
        server.off('error', onError);
        server.on('error', (e) => this.fail(e));
        const a = server.address() as net.AddressInfo;
        const shown = this.opts.advertisedAddress ?? (isWildcardAddress(a.address) ? defaultAdvertisedAddress(a.address.includes(':')) : a.address);
        this.bound = { transport: this.protocol, address: shown, port: a.port };
        resolve(this);
      });
    });
  }

  private fail(err: Error): void {
    for (const h of this.errorHandlers) h(err);
  }

  private adopt(socket: net.Socket, remote: Endpoint): Conn {
    const conn: Conn = { socket, remote };
    const key = connKey(remote);
    this.conns.get(key)?.socket.destroy();
    this.conns.set(key, conn);
    const framer = new StreamFramer({ maxHeaderBytes: this.max, maxBodyBytes: this.max });
    if (this.idle > 0) socket.setTimeout(this.idle, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      const out = framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      // RFC 5626 4.4.1: answer each CRLFCRLF ping with a CRLF pong.
      for (let i = 0; i < out.pings; i++) socket.write('\r\n');
      for (const data of out.messages) {
        const msg: TransportMessage = { data, source: remote, local: this.bound };
        for (const h of this.handlers) h(msg);
      }
      if (out.error) {
        // RFC 3261 18.3: a framing error on a stream cannot be recovered: close the connection.
        this.fail(new PortierError('SIP_TRANSPORT', `closing ${this.protocol} connection from ${remote.address}:${remote.port}: ${out.error}`));
        socket.destroy();
      }
    });
    socket.on('error', () => {
      /* reported through close; a send on it will fail */
    });
    socket.on('close', () => {
      if (this.conns.get(key) === conn) this.conns.delete(key);
    });
    return conn;
  }

  private async connection(dest: Endpoint): Promise<Conn> {
    const key = connKey(dest);
    const existing = this.conns.get(key);
    if (existing && !existing.socket.destroyed) return existing;
    const inflight = this.pending.get(key);
    if (inflight) return inflight;
    const p = this.factory
      .connect(dest)
      .then((s) => this.adopt(s, { transport: this.protocol, address: dest.address, port: dest.port }))
      .finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }

  async send(destination: Endpoint, data: Uint8Array): Promise<void> {
    if (this.closed) throw new PortierError('SIP_TRANSPORT', `${this.protocol} transport is closed`);
    if (data.length > this.max) throw new PortierError('SIP_TRANSPORT', `message of ${data.length} bytes exceeds ${this.max}`);
    let conn: Conn;
    try {
      conn = await this.connection(destination);
    } catch (err) {
      throw new PortierError('SIP_TRANSPORT', `cannot connect ${this.protocol} to ${destination.address}:${destination.port}: ${(err as Error).message}`, { cause: err });
    }
    await new Promise<void>((resolve, reject) => {
      conn.socket.write(data, (err) => (err ? reject(new PortierError('SIP_TRANSPORT', `${this.protocol} write failed: ${err.message}`, { cause: err })) : resolve()));
    });
  }

  onMessage(handler: (msg: TransportMessage) => void): void {
    this.handlers.push(handler);
  }

  onError(handler: (err: Error) => void): void {
    this.errorHandlers.push(handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.conns.values()) c.socket.destroy();
    this.conns.clear();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

function connectTcp(dest: Endpoint, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: dest.address, port: dest.port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('connect timeout'));
    }, timeoutMs);
    timer.unref();
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** SIP over TCP. `await new TcpTransport({address, port}).listen()`. */
export class TcpTransport extends StreamTransport {
  constructor(opts: StreamTransportOptions & { connectTimeoutMs?: number }) {
    super('tcp', opts, {
      listen: (onSocket) => net.createServer(onSocket),
      connect: (dest) => connectTcp(dest, opts.connectTimeoutMs ?? 5000),
    });
  }
}
