import type { Transport, TransportMessage } from '../../daemon/sip/transport.js';
import type { Endpoint } from '../../daemon/sip/types.js';
import type { Clock } from '../../daemon/util/clock.js';

export interface Packet {
  time: number;
  from: Endpoint;
  to: Endpoint;
  data: Uint8Array;
  text: string;
}

const key = (e: Endpoint) => `${e.transport}|${e.address}|${e.port}`;

/**
 * An in-memory network on a (fake) clock: transports bound to endpoints deliver to each other
 * after `latencyMs`. Every packet is recorded in `packets`; `drop` can lose chosen ones.
 */
export class FakeNetwork {
  readonly packets: Packet[] = [];
  private readonly nodes = new Map<string, FakeTransport>();
  /** return true to lose a packet (it is still recorded, with dropped=true in `lost`) */
  drop: ((p: Packet) => boolean) | undefined;
  readonly lost: Packet[] = [];

  constructor(
    readonly clock: Clock,
    readonly latencyMs = 1,
  ) {}

  transport(address: string, port: number, protocol: Endpoint['transport'] = 'udp'): FakeTransport {
    const t = new FakeTransport(this, { transport: protocol, address, port });
    this.nodes.set(key(t.local), t);
    return t;
  }

  /** Inject raw bytes as if `from` had sent them to `to`. */
  inject(from: Endpoint, to: Endpoint, data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    this.deliver(from, to, bytes);
  }

  /** @internal */
  deliver(from: Endpoint, to: Endpoint, data: Uint8Array): void {
    const p: Packet = { time: this.clock.now(), from, to, data, text: new TextDecoder().decode(data) };
    this.packets.push(p);
    if (this.drop?.(p)) {
      this.lost.push(p);
      return;
    }
    this.clock.setTimeout(() => {
      const node = this.nodes.get(key({ ...to, transport: from.transport }));
      node?.receive({ data, source: from, local: node.local });
    }, this.latencyMs);
  }

  /** @internal */
  unbind(t: FakeTransport): void {
    if (this.nodes.get(key(t.local)) === t) this.nodes.delete(key(t.local));
  }

  /** Packets whose first line starts with `prefix` ("INVITE", "SIP/2.0 200"), optionally only from one endpoint port. */
  find(prefix: string, fromPort?: number): Packet[] {
    return this.packets.filter((p) => p.text.startsWith(prefix) && (fromPort === undefined || p.from.port === fromPort));
  }
}

export class FakeTransport implements Transport {
  readonly protocol: Endpoint['transport'];
  readonly reliable: boolean;
  private handlers: ((m: TransportMessage) => void)[] = [];
  private errorHandlers: ((e: Error) => void)[] = [];
  closed = false;
  /** make the next sends fail (transport error tests) */
  failSends = false;

  constructor(
    private readonly net: FakeNetwork,
    readonly local: Endpoint,
  ) {
    this.protocol = local.transport;
    this.reliable = local.transport !== 'udp';
  }

  async send(destination: Endpoint, data: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('transport closed');
    if (this.failSends) throw new Error('send failed');
    this.net.deliver(this.local, destination, data);
  }

  onMessage(handler: (msg: TransportMessage) => void): void {
    this.handlers.push(handler);
  }

  onError(handler: (err: Error) => void): void {
    this.errorHandlers.push(handler);
  }

  receive(m: TransportMessage): void {
    if (this.closed) return;
    for (const h of this.handlers) h(m);
  }

  emitError(err: Error): void {
    for (const h of this.errorHandlers) h(err);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.net.unbind(this);
  }
}
