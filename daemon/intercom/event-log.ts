/**
 * The event log: every ring, answer, hang-up, door opening, failed code, lockout, registration
 * change and rejected call, as JSON lines in `<state_dir>/events.jsonl`, rotated by size
 * (events.1.jsonl is the previous file), surviving restarts. Writes are synchronous appends: events
 * are rare, and an event written is an event kept if the power goes a second later.
 * A disk error is reported once and the log carries on in memory; the daemon never stops for it.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { TypedEmitter } from '../util/events.js';

export type EventType =
  | 'ring'
  | 'answer'
  | 'hangup'
  | 'door_open'
  | 'code_failed'
  | 'lockout'
  | 'registration'
  | 'rejected_call'
  | 'incoming_call'
  | 'call_failed'
  | 'door_held_open'
  | 'door_closed'
  | 'button'
  | 'started'
  | 'stopped';

export interface LoggedEvent {
  time: string;
  type: EventType;
  [detail: string]: unknown;
}

export interface EventLogOptions {
  dir: string;
  maxBytes: number;
  files: number;
  /** how many recent events stay in memory for the API and the panel */
  keep?: number;
  now?: () => Date;
  onError?: (err: Error) => void;
}

export class EventLog {
  readonly events = new TypedEmitter<{ event: LoggedEvent }>();
  private readonly path: string;
  private recentEvents: LoggedEvent[] = [];
  private size = 0;
  private failed = false;
  private readonly keep: number;

  constructor(private readonly opts: EventLogOptions) {
    this.path = join(opts.dir, 'events.jsonl');
    this.keep = opts.keep ?? 500;
  }

  /** Loads the recent events of earlier runs. Bad lines are skipped. */
  load(): void {
    try {
      mkdirSync(this.opts.dir, { recursive: true });
      const lines: string[] = [];
      for (let i = this.opts.files; i >= 0; i--) {
        const file = this.fileName(i);
        if (existsSync(file)) lines.push(...readFileSync(file, 'utf8').split('\n'));
      }
      const parsed: LoggedEvent[] = [];
      for (const line of lines) {
        if (!line) continue;
        try {
          const ev = JSON.parse(line) as LoggedEvent;
          if (ev && typeof ev.time === 'string' && typeof ev.type === 'string') parsed.push(ev);
        } catch {
          /* a torn last line after a power cut: skip it */
        }
      }
      this.recentEvents = parsed.slice(-this.keep);
      this.size = existsSync(this.path) ? statSync(this.path).size : 0;
    } catch (err) {
      this.report(err as Error);
    }
  }

  private fileName(i: number): string {
    return i === 0 ? this.path : join(this.opts.dir, `events.${i}.jsonl`);
  }

  private report(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.opts.onError?.(err);
  }

  private rotate(): void {
    const last = this.fileName(this.opts.files);
    if (existsSync(last)) unlinkSync(last);
    for (let i = this.opts.files - 1; i >= 0; i--) {
      const f = this.fileName(i);
      if (existsSync(f)) renameSync(f, this.fileName(i + 1));
    }
    this.size = 0;
  }

  append(type: EventType, details: Record<string, unknown> = {}): LoggedEvent {
    const ev: LoggedEvent = { time: (this.opts.now?.() ?? new Date()).toISOString(), type, ...details };
    this.recentEvents.push(ev);
    if (this.recentEvents.length > this.keep) this.recentEvents.splice(0, this.recentEvents.length - this.keep);
    const line = JSON.stringify(ev) + '\n';
    try {
      if (this.size + line.length > this.opts.maxBytes && this.size > 0) this.rotate();
      appendFileSync(this.path, line, { mode: 0o640 });
      this.size += Buffer.byteLength(line);
      this.failed = false;
    } catch (err) {
      this.report(err as Error);
    }
    this.events.emit('event', ev);
    return ev;
  }

  /** Newest first. */
  recent(limit = 50): LoggedEvent[] {
    return this.recentEvents.slice(-Math.max(0, limit)).reverse();
  }
}
