import type { Clock, TimerHandle } from '../../util/clock.js';
import type { SipMessage, SipRequest, SipResponse } from '../types.js';

/** RFC 3261 17.1.1.1 / table 4: the base timer values, configurable per user agent. */
export interface TimerConfig {
  /** RTT estimate, default 500 ms */
  t1: number;
  /** maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s */
  t2: number;
  /** maximum duration a message remains in the network, default 5 s */
  t4: number;
}

export const DEFAULT_TIMERS: TimerConfig = { t1: 500, t2: 4000, t4: 5000 };

/** What a transaction needs from the layer below it: time, timer values and a way to send. */
export interface TransactionEnv {
  clock: Clock;
  timers: TimerConfig;
  /** reliable transports (TCP/TLS) do not retransmit, and D/I/J/K are zero (RFC 3261 17.1.1.2) */
  reliable: boolean;
  /** hand a message to the transport; `retransmission` is true for timer-driven resends */
  send(message: SipMessage, retransmission: boolean): void;
}

/** Callbacks from a client transaction to its transaction user. */
export interface ClientTransactionUser {
  onResponse(response: SipResponse): void;
  /** timer B or F fired (RFC 3261 17.1.1.2 / 17.1.2.2) */
  onTimeout(): void;
  onTransportError(err: Error): void;
  onTerminated?(): void;
}

/** Callbacks from a server transaction to its transaction user. */
export interface ServerTransactionUser {
  /** INVITE server: timer H fired with no ACK (RFC 3261 17.2.1) */
  onTimeout?(): void;
  onTransportError?(err: Error): void;
  onTerminated?(): void;
  /** INVITE server in the Accepted state (RFC 6026 7.1): ACKs for the 2xx go to the TU */
  onAck?(ack: SipRequest): void;
}

/** Named one-shot timers of one transaction, cleared together when it terminates. */
export class TimerSet {
  private handles = new Map<string, TimerHandle>();
  constructor(private readonly clock: Clock) {}

  start(name: string, ms: number, fn: () => void): void {
    this.stop(name);
    const h = this.clock.setTimeout(() => {
      this.handles.delete(name);
      fn();
    }, ms);
    this.handles.set(name, h);
  }

  stop(name: string): void {
    const h = this.handles.get(name);
    if (h !== undefined) {
      this.clock.clearTimeout(h);
      this.handles.delete(name);
    }
  }

  has(name: string): boolean {
    return this.handles.has(name);
  }

  stopAll(): void {
    for (const h of this.handles.values()) this.clock.clearTimeout(h);
    this.handles.clear();
  }
}

/** Thrown (a programming error, never network input) when a machine is asked for an illegal move. */
export function illegal(machine: string, from: string, to: string): Error {
  return new Error(`${machine}: illegal transition ${from} -> ${to}`);
}
