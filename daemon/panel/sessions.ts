/**
 * Panel login sessions: random ids (32 bytes, base64url) in an HttpOnly cookie, an idle timeout that
 * slides with use and an absolute lifetime. Only SHA-256 digests of the ids are kept (in memory and,
 * when a file is given, on disk), so a leaked state file does not hand out live cookies. The file lets
 * a resident stay logged in across a daemon restart.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface SessionOptions {
  /** wall-clock milliseconds (sessions outlive the process, so not the monotonic Clock) */
  now?: () => number;
  /** idle timeout: a session unused this long expires (default 7 days) */
  idleMs?: number;
  /** absolute lifetime from login (default 30 days) */
  maxAgeMs?: number;
  /** most sessions kept; the oldest is dropped past it (default 64) */
  maxSessions?: number;
  /** JSON file to persist digests in (mode 0600); absent: memory only */
  file?: string;
  /** called when the file cannot be read or written */
  onError?: (err: Error) => void;
}

interface Entry {
  created: number;
  expires: number;
  persistedExpires: number;
}

export interface SessionInfo {
  /** digest of the id: safe to log and to group WebSockets by */
  key: string;
  created: number;
  expires: number;
}

const digest = (id: string) => createHash('sha256').update(id).digest('hex');

export class SessionStore {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  readonly idleMs: number;
  readonly maxAgeMs: number;
  private readonly maxSessions: number;

  constructor(private readonly opts: SessionOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.idleMs = opts.idleMs ?? 7 * 24 * 3600_000;
    this.maxAgeMs = opts.maxAgeMs ?? 30 * 24 * 3600_000;
    this.maxSessions = opts.maxSessions ?? 64;
  }

  /** Loads persisted sessions (call once at start; a missing or bad file is an empty store). */
  load(): void {
    if (!this.opts.file) return;
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(this.opts.file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.onError?.(err as Error);
      return;
    }
    const list = (data as { sessions?: unknown })?.sessions;
    if (!Array.isArray(list)) return;
    const now = this.now();
    for (const s of list) {
      const { key, created, expires } = (s ?? {}) as Record<string, unknown>;
      if (typeof key !== 'string' || !/^[0-9a-f]{64}$/.test(key)) continue;
      if (typeof created !== 'number' || typeof expires !== 'number' || expires <= now) continue;
      this.entries.set(key, { created, expires: Math.min(expires, created + this.maxAgeMs), persistedExpires: expires });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Starts a session; returns the id for the cookie (never stored). */
  create(): { id: string; info: SessionInfo } {
    this.sweep();
    while (this.entries.size >= this.maxSessions) {
      let oldestKey: string | undefined;
      let oldest = Infinity;
      for (const [k, e] of this.entries) if (e.created < oldest) [oldest, oldestKey] = [e.created, k];
      this.entries.delete(oldestKey!);
    }
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    const entry: Entry = { created: now, expires: Math.min(now + this.idleMs, now + this.maxAgeMs), persistedExpires: 0 };
    const key = digest(id);
    this.entries.set(key, entry);
    this.persist();
    return { id, info: { key, created: entry.created, expires: entry.expires } };
  }

  /** The live session for a cookie value, its idle timeout renewed; null if unknown or expired. */
  validate(id: string | undefined | null): SessionInfo | null {
    if (!id || id.length > 128) return null;
    const key = digest(id);
    const e = this.entries.get(key);
    if (!e) return null;
    const now = this.now();
    if (e.expires <= now) {
      this.entries.delete(key);
      this.persist();
      return null;
    }
    e.expires = Math.min(now + this.idleMs, e.created + this.maxAgeMs);
    // write the file only when the renewed expiry moved on by more than an hour (not on every request)
    if (e.expires - e.persistedExpires > 3600_000) this.persist();
    return { key, created: e.created, expires: e.expires };
  }

  /** Ends the session for this cookie value (logout); true if there was one. */
  destroy(id: string | undefined | null): string | null {
    if (!id) return null;
    const key = digest(id);
    if (!this.entries.delete(key)) return null;
    this.persist();
    return key;
  }

  /** Is the session with this digest still live? (for open WebSockets; does not renew it) */
  isLive(key: string): boolean {
    const e = this.entries.get(key);
    return !!e && e.expires > this.now();
  }

  /** Renews a live session's idle timeout by its digest (an open panel page counts as use). */
  touch(key: string): boolean {
    const e = this.entries.get(key);
    const now = this.now();
    if (!e || e.expires <= now) return false;
    e.expires = Math.min(now + this.idleMs, e.created + this.maxAgeMs);
    if (e.expires - e.persistedExpires > 3600_000) this.persist();
    return true;
  }

  /** Drops expired sessions. */
  sweep(): void {
    const now = this.now();
    let changed = false;
    for (const [k, e] of this.entries) {
      if (e.expires <= now) {
        this.entries.delete(k);
        changed = true;
      }
    }
    if (changed) this.persist();
  }

  private persist(): void {
    for (const e of this.entries.values()) e.persistedExpires = e.expires;
    if (!this.opts.file) return;
    const sessions = [...this.entries].map(([key, e]) => ({ key, created: e.created, expires: e.expires }));
    const tmp = `${this.opts.file}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify({ version: 1, sessions }) + '\n', { mode: 0o600 });
      renameSync(tmp, this.opts.file);
    } catch (err) {
      this.opts.onError?.(err as Error);
    }
  }
}
