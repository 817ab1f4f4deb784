import type { Clock, TimerHandle } from '../util/clock.js';

/**
 * Keep-alive toward the registrar / outbound proxy (RFC 5626 3.5 / 4.4): a CRLFCRLF ping on
 * TCP/TLS (the peer answers CRLF), and on UDP either a CRLFCRLF datagram (what most PBXs and
 * phones accept, keeps NAT bindings open) or an OPTIONS request whose failure means the flow is dead.
 *
 * DEVIATION: RFC 5626 4.4.2 uses STUN binding requests on UDP; PBXs that a door intercom meets
 * (Asterisk, FRITZ!Box, 3CX, Kamailio) ignore a CRLFCRLF datagram and answer OPTIONS, so we use those.
 */
export type KeepAliveMethod = 'crlf' | 'options' | 'off';

export interface KeepAliveOptions {
  clock: Clock;
  intervalMs: number;
  method: KeepAliveMethod;
  /** send one probe; resolve true when the peer is alive (CRLF sends resolve true once written) */
  probe(method: Exclude<KeepAliveMethod, 'off'>): Promise<boolean>;
  /** the peer did not answer (OPTIONS timed out or the send failed) */
  onDead?(): void;
}

export type KeepAliveState = 'stopped' | 'running';

/** RFC 5626 4.4.1: the interval is jittered between 80% and 100% so that clients do not synchronise. */
export function jitteredInterval(intervalMs: number, random = Math.random): number {
  return Math.round(intervalMs * (0.8 + 0.2 * random()));
}

export class KeepAlive {
  state: KeepAliveState = 'stopped';
  private timer: TimerHandle | undefined;
  sent = 0;
  failures = 0;

  constructor(
    private readonly opts: KeepAliveOptions,
    private readonly random: () => number = Math.random,
  ) {}

  private transition(to: KeepAliveState): boolean {
    if (this.state === to) return false;
    this.state = to;
    return true;
  }

  start(): void {
    if (this.opts.method === 'off' || this.opts.intervalMs <= 0) return;
    if (!this.transition('running')) return;
    this.schedule();
  }

  stop(): void {
    this.transition('stopped');
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.opts.clock.setTimeout(() => this.fire(), jitteredInterval(this.opts.intervalMs, this.random));
  }

  private fire(): void {
    if (this.state !== 'running' || this.opts.method === 'off') return;
    this.sent++;
    const method = this.opts.method;
    this.opts
      .probe(method)
      .catch(() => false)
      .then((alive) => {
        if (this.state !== 'running') return;
        if (!alive) {
          this.failures++;
          this.opts.onDead?.();
        }
      });
    this.schedule();
  }
}
