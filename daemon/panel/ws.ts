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
}

interface Client {
  ws: WebSocket;
  sessionKey: string | null;
  alive: boolean;
  off: () => void;
}

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
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  private readonly clients = new Set<Client>();
  private timer: NodeJS.Timeout | null = null;
  private server: Server | null = null;
  private readonly path: string;
  private closed = false;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head);

  constructor(private readonly opts: WsGatewayOptions) {
    this.path = opts.path ?? '/ws';
  }

  get clientCount(): number {
    return this.clients.size;
  }

  attach(server: Server): void {
    if (this.server || this.closed) return;
    this.server = server;
    server.on('upgrade', this.onUpgrade);
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
    const max = this.opts.maxBufferedBytes ?? 1024 * 1024;
    const client: Client = {
      ws,
      sessionKey,
      alive: true,
      off: () => {},
    };
    const send = (json: string) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (ws.bufferedAmount > max) {
        this.opts.log?.warn({ buffered: ws.bufferedAmount }, 'panel client too slow; dropped');
        ws.terminate();
        return;
      }
      ws.send(json);
    };
    client.off = this.opts.feed.subscribe(send);
    this.clients.add(client);
    ws.on('pong', () => (client.alive = true));
    ws.on('message', () => {
      /* the page sends nothing the daemon needs; controls go through the HTTP API */
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      client.off();
      this.clients.delete(client);
    });
    send(this.opts.feed.snapshot());
  }

  private heartbeat(): void {
    for (const c of this.clients) {
      if (c.sessionKey && !this.opts.auth.sessions.isLive(c.sessionKey)) {
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
    for (const c of this.clients) c.ws.close(1001, 'daemon stopping');
    // give close frames a moment, then cut whatever is left
    await new Promise((r) => setTimeout(r, this.clients.size ? 50 : 0));
    for (const c of this.clients) c.ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}
