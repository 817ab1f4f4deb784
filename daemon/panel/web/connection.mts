/**
 * The page's live connection: a WebSocket to /ws that reconnects by itself with exponential backoff
 * (0.5 s doubling to 10 s, with jitter). Before each retry it asks /api/session: a 401 means the
 * session is gone (logout elsewhere, expiry), so the page reloads into the login form.
 */
export type ConnState = { kind: 'connecting' } | { kind: 'live' } | { kind: 'disconnected'; retryInMs: number; attempt: number };

export interface ConnectionHandlers {
  onMessage(msg: unknown): void;
  onState(s: ConnState): void;
  onLoggedOut(): void;
}

export class LiveConnection {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: number | null = null;
  private stopped = false;

  constructor(private readonly h: ConnectionHandlers) {}

  start(): void {
    this.open();
  }

  /** Sends a message to the daemon (the browser phone's signalling); false when not connected. */
  send(msg: object): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.ws?.close();
  }

  private url(): string {
    return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  }

  private open(): void {
    if (this.stopped) return;
    this.h.onState({ kind: 'connecting' });
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.h.onState({ kind: 'live' });
    };
    ws.onmessage = (ev) => {
      try {
        this.h.onMessage(JSON.parse(String(ev.data)));
      } catch {
        /* ignore a malformed message */
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (ev.code === 4401) return this.h.onLoggedOut();
      if (!opened) this.attempt++;
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    const base = Math.min(10_000, 500 * 2 ** Math.min(this.attempt, 5));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.h.onState({ kind: 'disconnected', retryInMs: delay, attempt: this.attempt });
    this.timer = window.setTimeout(() => void this.probeThenOpen(), delay);
  }

  /** Reconnect only once the daemon answers; a 401 there means logged out. */
  private async probeThenOpen(): Promise<void> {
    this.timer = null;
    try {
      const res = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' });
      if (res.status === 401) return this.h.onLoggedOut();
    } catch {
      this.attempt++;
      return this.retry();
    }
    this.open();
  }
}
