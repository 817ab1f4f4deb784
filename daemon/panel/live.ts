/**
 * The live feed both the WebSocket (/ws) and Server-Sent Events (/api/events/stream) carry: it
 * subscribes to the StatusHub once, keeps the recent event-log entries, and serialises each message
 * once for all clients.
 *
 * Messages (JSON):
 *   {"type":"snapshot","time":<ms since epoch>,"status":{<section>: value, ...},"events":[<entry>...]}
 *   {"type":"delta","section":"relays","value":{...}}     a whole section, replaced
 *   {"type":"event","event":{"time":"...","type":"...",...}}
 */
import type { StatusHub } from '../util/status-hub.js';

export type LiveKind = 'snapshot' | 'delta' | 'event';
export type LiveListener = (json: string, kind: LiveKind) => void;

export interface LiveFeedOptions {
  /** event-log entries kept for the snapshot (default 50) */
  recent?: number;
  /** wall clock for the snapshot's time stamp */
  now?: () => number;
}

export class LiveFeed {
  private readonly listeners = new Set<LiveListener>();
  private readonly events: unknown[] = [];
  private readonly keep: number;
  private readonly now: () => number;
  private offs: (() => void)[] = [];
  /** messages sent to listeners so far (deltas and events) */
  published = 0;


  constructor(
    private readonly hub: StatusHub,
    opts: LiveFeedOptions = {},
  ) {
    this.keep = opts.recent ?? 50;
    this.now = opts.now ?? Date.now;
  }

  /** Subscribes to the hub (idempotent). */
  start(): void {
    if (this.offs.length) return;
    this.offs.push(
      this.hub.on('delta', ({ section, value }) => this.publish(JSON.stringify({ type: 'delta', section, value }), 'delta')),
      this.hub.on('event', (event) => {
        this.events.push(event);
        if (this.events.length > this.keep) this.events.splice(0, this.events.length - this.keep);
        this.publish(JSON.stringify({ type: 'event', event }), 'event');
      }),
    );
  }

  snapshot(): string {
    return JSON.stringify({ type: 'snapshot', time: this.now(), status: this.hub.snapshot(), events: this.events });
  }

  recentEvents(): readonly unknown[] {
    return this.events;
  }

  subscribe(fn: LiveListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  private publish(json: string, kind: LiveKind): void {
    this.published++;
    for (const fn of [...this.listeners]) {
      try {
        fn(json, kind);
      } catch {
        // a client's send failing must not stop the others (the client is dropped by its owner)
      }
    }
  }

  close(): void {
    for (const off of this.offs) off();
    this.offs = [];
    this.listeners.clear();
  }
}
