/**
 * The live view's WebSocket at /ws on the panel's own HTTP server (ws in noServer mode). The upgrade
 * is checked before anything is accepted: a foreign Origin gets 403, no session or token 401 (RFC 6455
 * 4.1: a non-101 answer fails the connection). An accepted client gets the snapshot, then every delta
 * and event. Dead peers are found with pings; a client that cannot keep up is cut off rather than
 * buffered without bound; logging out closes that session's sockets (close code 4401).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../util/log.js';
import type { PanelAuth } from './auth.js';
import type { LiveFeed } from './live.js';

export interface WsGatewayOptions {
  feed: LiveFeed;
  auth: PanelAuth;
  log?: Logger;
  path?: string;
  /** ping interval; a client that missed the previous pong is dropped (default 30 s) */
  heartbeatMs?: number;
  /** a client with more than this queued is dropped (default 1 MiB) */
  maxBufferedBytes?: number;
  maxClients?: number;
  /** a JSON message from a page (the browser phone's signalling); bad JSON never gets here */
  onMessage?: (client: PanelClient, msg: Record<string, unknown>) => void;
  /** a page went away */
  onClientClosed?: (client: PanelClient) => void;
}

/** A connected page as the browser phone sees it. */
export interface PanelClient {
  readonly id: number;
  /** the login session it belongs to; null for an API-token client (not a person: never rung) */
  readonly sessionKey: string | null;
  send(msg: object): void;
}

/** messages a page may send per second; more are dropped (a page sends a handful per call) */
const CLIENT_MESSAGES_PER_S = 20;

interface Client {
  ws: WebSocket;
  sessionKey: string | null;
  alive: boolean;
  /** feed sequence number its snapshot already covers */
  since: number;
  handle: PanelClient;
  msgWindow: { start: number; count: number };
}

interface Outgoing {
  seq: number;
  data: Buffer;
  queuedAt: number;
}

/** sends per event-loop turn: a broadcast to many clients yields in between so the media clock's timers run */
const SENDS_PER_SLICE = 25;

export const CLOSE_LOGGED_OUT = 4401;

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' };

function refuse(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${status === 401 ? 'WWW-Authenticate: Bearer realm="portier"\r\n' : ''}\r\n${body}`,
  );
  (socket as Duplex & { destroySoon?: () => void }).destroySoon?.();
}

export class WsGateway {
  // 16 KiB: room for a browser's SDP answer with its candidates
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024, perMessageDeflate: false });
  private nextClientId = 1;
  private readonly clients = new Set<Client>();
  private timer: NodeJS.Timeout | null = null;
  private server: Server | null = null;
  private readonly path: string;
  private closed = false;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head);
  private readonly queue: Outgoing[] = [];
  private cursor: { targets: Client[]; index: number } | null = null;
  private draining = false;
  private offFeed: (() => void) | null = null;
  /** broadcast cost: slices run, longest slice, and how long a message took to reach every client */
  readonly broadcast = { messages: 0, slices: 0, sliceTotalMs: 0, sliceMaxMs: 0, spreadTotalMs: 0, spreadMaxMs: 0 };

  constructor(private readonly opts: WsGatewayOptions) {
    this.path = opts.path ?? '/ws';
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** The pages connected now (for the browser phone: who to ring). */
  pages(): PanelClient[] {
    return [...this.clients].filter((c) => c.ws.readyState === WebSocket.OPEN).map((c) => c.handle);
  }

  attach(server: Server): void {
    if (this.server || this.closed) return;
    this.server = server;
    server.on('upgrade', this.onUpgrade);
    this.offFeed = this.opts.feed.subscribe((json) => this.enqueue(json));
    const every = this.opts.heartbeatMs ?? 30_000;
    this.timer = setInterval(() => this.heartbeat(), every);
    this.timer.unref();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== this.path) return refuse(socket, 404, 'no WebSocket here');
    if (this.closed) return refuse(socket, 503, 'shutting down');
    const check = this.opts.auth.checkUpgrade({
      authorization: req.headers.authorization,
      cookie: req.headers.cookie,
      origin: req.headers.origin,
      host: req.headers.host,
    });
    if (!check.ok) {
      this.opts.log?.info({ status: check.status, reason: check.reason, remote: req.socket.remoteAddress }, 'panel WebSocket refused');
      return refuse(socket, check.status, check.reason);
    }
    if (this.clients.size >= (this.opts.maxClients ?? 1000)) return refuse(socket, 503, 'too many panel clients');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, check.auth.via === 'session' ? check.auth.session.key : null));
  }

  private accept(ws: WebSocket, sessionKey: string | null): void {
    const client: Client = {
      ws,
      sessionKey,
      alive: true,
      since: this.opts.feed.published,
      msgWindow: { start: 0, count: 0 },
      handle: { id: this.nextClientId++, sessionKey, send: (msg: object) => this.send(client, Buffer.from(JSON.stringify(msg))) },
    };
    this.clients.add(client);
    ws.on('pong', () => (client.alive = true));
    // controls go through the HTTP API; the socket carries only the browser phone's signalling
    ws.on('message', (data, isBinary) => this.message(client, data as Buffer, isBinary));
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      this.clients.delete(client);
      this.opts.onClientClosed?.(client.handle);
    });
    this.send(client, Buffer.from(this.opts.feed.snapshot()));
  }

  private message(c: Client, data: Buffer, isBinary: boolean): void {
    if (!this.opts.onMessage || isBinary) return;
    const now = performance.now();
    if (now - c.msgWindow.start >= 1000) c.msgWindow = { start: now, count: 0 };
    if (++c.msgWindow.count > CLIENT_MESSAGES_PER_S) return;
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      return;
    }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return;
    try {
      this.opts.onMessage(c.handle, msg as Record<string, unknown>);
    } catch (err) {
      this.opts.log?.error({ err }, 'panel message handler failed');
    }
  }

  private send(c: Client, data: Buffer): void {
    const ws = c.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > (this.opts.maxBufferedBytes ?? 1024 * 1024)) {
      this.opts.log?.warn({ buffered: ws.bufferedAmount }, 'panel client too slow; dropped');
      ws.terminate();
      return;
    }
    ws.send(data, { binary: false });
  }

  /** Encodes a feed message once and queues it for every client. */
  private enqueue(json: string): void {
    if (this.closed) return;
    this.queue.push({ seq: this.opts.feed.published, data: Buffer.from(json), queuedAt: performance.now() });
    if (!this.draining) this.drain();
  }

  /**
   * Sends queued messages in order, at most SENDS_PER_SLICE per event-loop turn. The first slice runs
   * at once, so a few clients get a change with no added delay. A client that joined after a message
   * was published already has it in its snapshot and is skipped for it.
   */
  private drain(): void {
    this.draining = true;
    const t0 = performance.now();
    let budget = SENDS_PER_SLICE;
    while (budget > 0 && this.queue.length) {
      const msg = this.queue[0];
      this.cursor ??= { targets: [...this.clients], index: 0 };
      const cur = this.cursor;
      while (budget > 0 && cur.index < cur.targets.length) {
        const c = cur.targets[cur.index++];
        if (c.since < msg.seq) {
          this.send(c, msg.data);
          budget--;
        }
      }
      if (cur.index >= cur.targets.length) {
        this.queue.shift();
        this.cursor = null;
        const spread = performance.now() - msg.queuedAt;
        this.broadcast.messages++;
        this.broadcast.spreadTotalMs += spread;
        if (spread > this.broadcast.spreadMaxMs) this.broadcast.spreadMaxMs = spread;
      }
    }
    const ms = performance.now() - t0;
    this.broadcast.slices++;
    this.broadcast.sliceTotalMs += ms;
    if (ms > this.broadcast.sliceMaxMs) this.broadcast.sliceMaxMs = ms;
    if (this.queue.length && !this.closed) setImmediate(() => this.drain());
    else this.draining = false;
  }

  resetBroadcastStats(): void {
    for (const k of Object.keys(this.broadcast) as (keyof typeof this.broadcast)[]) this.broadcast[k] = 0;
  }

  private heartbeat(): void {
    for (const c of this.clients) {
      // a page left open (a wall tablet) keeps its session alive up to the absolute lifetime
      if (c.sessionKey && !(c.alive ? this.opts.auth.sessions.touch(c.sessionKey) : this.opts.auth.sessions.isLive(c.sessionKey))) {
        c.ws.close(CLOSE_LOGGED_OUT, 'session ended');
        continue;
      }
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  /** Closes the sockets of one session (logout). */
  closeSession(sessionKey: string): void {
    for (const c of this.clients) if (c.sessionKey === sessionKey) c.ws.close(CLOSE_LOGGED_OUT, 'logged out');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.server?.off('upgrade', this.onUpgrade);
    this.offFeed?.();
    this.queue.length = 0;
    for (const c of this.clients) c.ws.close(1001, 'daemon stopping');
    // give close frames a moment, then cut whatever is left
    await new Promise((r) => setTimeout(r, this.clients.size ? 50 : 0));
    for (const c of this.clients) c.ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}
