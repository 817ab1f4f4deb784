import type { Endpoint } from './types.js';

/**
 * The byte-level edge of the SIP stack (architecture rule 1). Real implementations wrap dgram,
 * net and tls; tests use an in-memory fake. A transport never parses: it hands over whole
 * messages (a datagram, or one Content-Length-framed message from a stream).
 */
export interface TransportMessage {
  data: Uint8Array;
  source: Endpoint;
  /** the local endpoint the message arrived on */
  local: Endpoint;
}

export interface Transport {
  readonly protocol: 'udp' | 'tcp' | 'tls';
  /** the address and port this transport listens on (after bind) */
  readonly local: Endpoint;
  /** reliable transports (tcp/tls) do not retransmit (RFC 3261 17.1.1.2) */
  readonly reliable: boolean;
  send(destination: Endpoint, data: Uint8Array): Promise<void>;
  onMessage(handler: (msg: TransportMessage) => void): void;
  onError(handler: (err: Error) => void): void;
  close(): Promise<void>;
}
