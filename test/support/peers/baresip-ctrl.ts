/**
 * Client for baresip's ctrl_tcp module: netstring-framed JSON both ways
 * (`<len>:<json>,`). Events can arrive before the response to a command, so
 * responses are matched by token and events are kept in an ordered history.
 */
import { Socket, connect } from 'node:net';
import { LabError, sleep } from './proc.js';

export interface BaresipEvent {
  event: true;
  class: string;
  type: string;
  accountaor?: string;
  direction?: string;
  peeruri?: string;
  id?: string;
  param?: string;
  [key: string]: unknown;
  /** Local receive time (Date.now()), added by the client. */
  at: number;
}

export interface BaresipResponse {
  response: true;
  ok: boolean;
  data: string;
  token?: string;
}

/** Encode one netstring. */
export function encodeNetstring(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(',')]);
}

/**
 * Incremental netstring decoder. Returns complete payloads and keeps the rest.
 * Bad framing yields an `error` instead of throwing, and the buffer is dropped.
 */
export class NetstringDecoder {
  private buf = Buffer.alloc(0);

  push(chunk: Buffer): { messages: string[]; error?: string } {
    this.buf = Buffer.concat([this.buf, chunk]);
    const messages: string[] = [];
    for (;;) {
      const colon = this.buf.indexOf(0x3a);
      if (colon < 0) {
        if (this.buf.length > 10) return this.fail(messages, 'length prefix too long');
        return { messages };
      }
      const lenText = this.buf.subarray(0, colon).toString('latin1');
      if (!/^\d{1,9}$/.test(lenText)) return this.fail(messages, `bad length prefix '${lenText.slice(0, 12)}'`);
      const len = Number(lenText);
      const end = colon + 1 + len;
      if (this.buf.length < end + 1) return { messages };
      if (this.buf[end] !== 0x2c) return this.fail(messages, 'missing trailing comma');
      messages.push(this.buf.subarray(colon + 1, end).toString('utf8'));
      this.buf = this.buf.subarray(end + 1);
    }
  }

  private fail(messages: string[], error: string): { messages: string[]; error: string } {
    this.buf = Buffer.alloc(0);
    return { messages, error };
  }
}

type Waiter = { match: (e: BaresipEvent, index: number) => boolean; resolve: (e: BaresipEvent) => void };

export class BaresipCtrl {
  readonly events: BaresipEvent[] = [];
  readonly protocolErrors: string[] = [];
  private socket: Socket | undefined;
  private readonly decoder = new NetstringDecoder();
  private readonly pending = new Map<string, (r: BaresipResponse) => void>();
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<(e: BaresipEvent) => void>();
  private nextToken = 1;
  private closed = false;

  constructor(private readonly port: number) {}

  /** Connect, retrying until baresip's ctrl_tcp listens or the deadline passes. */
  async connect(timeoutMs: number, alive: () => boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastErr = '';
    while (Date.now() < deadline) {
      if (!alive()) throw new LabError('LAB_PEER_EXITED', 'baresip exited before ctrl_tcp accepted a connection');
      try {
        this.socket = await this.tryConnect();
        return;
      } catch (e) {
        lastErr = e instanceof Error ? e.message : String(e);
        await sleep(30);
      }
    }
    throw new LabError('LAB_TIMEOUT', `ctrl_tcp on port ${this.port} did not accept within ${timeoutMs} ms (${lastErr})`);
  }

  private tryConnect(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: this.port });
      s.once('connect', () => {
        s.removeAllListeners('error');
        s.on('error', () => undefined);
        s.on('data', (d) => this.onData(d));
        s.on('close', () => {
          this.closed = true;
        });
        resolve(s);
      });
      s.once('error', (e) => {
        s.destroy();
        reject(e);
      });
    });
  }

  private onData(chunk: Buffer): void {
    const { messages, error } = this.decoder.push(chunk);
    if (error) this.protocolErrors.push(error);
    for (const text of messages) {
      let msg: unknown;
      try {
        msg = JSON.parse(text);
      } catch {
        this.protocolErrors.push(`bad JSON: ${text.slice(0, 80)}`);
        continue;
      }
      if (typeof msg !== 'object' || msg === null) continue;
      const m = msg as Record<string, unknown>;
      if (m.response === true) {
        const token = typeof m.token === 'string' ? m.token : undefined;
        const res = token ? this.pending.get(token) : undefined;
        if (token && res) {
          this.pending.delete(token);
          res(m as unknown as BaresipResponse);
        }
      } else if (m.event === true) {
        const ev = { ...(m as object), at: Date.now() } as BaresipEvent;
        this.events.push(ev);
        for (const l of this.listeners) {
          try {
            l(ev);
          } catch {
            /* listener errors must not break the client */
          }
        }
        const index = this.events.length - 1;
        for (const w of [...this.waiters]) {
          if (w.match(ev, index)) {
            this.waiters.delete(w);
            w.resolve(ev);
          }
        }
      }
    }
  }

  onEvent(listener: (e: BaresipEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Send a command; resolves with baresip's response (ok=false is a normal answer, not a rejection). */
  command(command: string, params = '', timeoutMs = 3000): Promise<BaresipResponse> {
    const s = this.socket;
    if (!s || this.closed) return Promise.reject(new LabError('LAB_CTRL', `ctrl_tcp not connected (command ${command})`));
    const token = `t${this.nextToken++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new LabError('LAB_TIMEOUT', `baresip did not answer '${command} ${params}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      s.write(encodeNetstring(JSON.stringify({ command, params, token })));
    });
  }

  /**
   * Resolve with the first event matching `match`, looking at history from index `since`
   * first (so events that arrived before the call are not missed).
   */
  waitEvent(match: (e: BaresipEvent, index: number) => boolean, timeoutMs: number, since = 0): Promise<BaresipEvent | undefined> {
    for (let i = since; i < this.events.length; i++) if (match(this.events[i], i)) return Promise.resolve(this.events[i]);
    return new Promise((resolve) => {
      const w: Waiter = {
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    for (const w of this.waiters) w.resolve(undefined as unknown as BaresipEvent);
    this.waiters.clear();
  }
}
