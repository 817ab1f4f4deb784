/**
 * systemd readiness and watchdog notifications (sd_notify): newline-separated KEY=value datagrams to
 * the AF_UNIX datagram socket named by $NOTIFY_SOCKET. Node core cannot send unix datagrams, so the
 * small native `unix-dgram` addon does it; without $NOTIFY_SOCKET every call is a no-op.
 */
import { createRequire } from 'node:module';
import type { Logger } from './log.js';

interface UnixDgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  close(): void;
}

export class SdNotify {
  private socket: UnixDgramSocket | null = null;
  private readonly path: string | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const p = env.NOTIFY_SOCKET;
    // an abstract socket is named with a leading "@" and sent to with a leading NUL
    this.path = p ? (p.startsWith('@') ? `\0${p.slice(1)}` : p) : undefined;
    const usec = Number(env.WATCHDOG_USEC);
    const pid = env.WATCHDOG_PID ? Number(env.WATCHDOG_PID) : process.pid;
    this.watchdogMs = this.path && usec > 0 && pid === process.pid ? usec / 1000 / 2 : 0;
  }

  /** Half of WATCHDOG_USEC in ms, or 0 when systemd asked for no watchdog. */
  readonly watchdogMs: number;

  get enabled(): boolean {
    return this.path !== undefined;
  }

  private open(): UnixDgramSocket | null {
    if (!this.path) return null;
    if (this.socket) return this.socket;
    try {
      const require = createRequire(import.meta.url);
      const unix = require('unix-dgram') as { createSocket(type: 'unix_dgram'): UnixDgramSocket };
      this.socket = unix.createSocket('unix_dgram');
      this.socket.on('error', (err) => this.log.warn({ err: err.message }, 'sd_notify socket error'));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'sd_notify unavailable: unix-dgram did not load; systemd will not see readiness');
    }
    return this.socket;
  }

  notify(state: string): void {
    const socket = this.open();
    if (!socket || !this.path) return;
    const buf = Buffer.from(state);
    try {
      socket.send(buf, 0, buf.length, this.path, (err) => {
        if (err) this.log.warn({ err: err.message }, 'sd_notify send failed');
      });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'sd_notify send failed');
    }
  }

  ready(status: string): void {
    this.notify(`READY=1\nSTATUS=${status}`);
    if (this.watchdogMs > 0 && !this.watchdogTimer) {
      this.watchdogTimer = setInterval(() => this.notify('WATCHDOG=1'), this.watchdogMs);
      this.watchdogTimer.unref();
    }
  }

  status(text: string): void {
    this.notify(`STATUS=${text}`);
  }

  /** STOPPING=1 is the last word: the watchdog pings end with it (TimeoutStopSec governs from here). */
  stopping(): void {
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
    this.notify('STOPPING=1');
  }

  close(): void {
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
    try {
      this.socket?.close();
    } catch {
      /* already closed */
    }
    this.socket = null;
  }
}
