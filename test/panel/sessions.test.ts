import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionStore } from '../../daemon/panel/sessions.js';

const HOUR = 3600_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'portier-sessions-'));
  dirs.push(d);
  return d;
}

function store(opts: ConstructorParameters<typeof SessionStore>[0] = {}) {
  const clock = { t: 1_000_000 };
  const s = new SessionStore({ now: () => clock.t, idleMs: 2 * HOUR, maxAgeMs: 10 * HOUR, ...opts });
  return { s, clock };
}

describe('panel sessions', () => {
  it('creates random 43-character ids that validate until the idle timeout', () => {
    const { s, clock } = store();
    const a = s.create();
    const b = s.create();
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.id).not.toBe(b.id);
    expect(s.validate(a.id)?.key).toBe(a.info.key);
    clock.t += 2 * HOUR + 1;
    expect(s.validate(b.id)).toBeNull();
  });

  it('renews the idle timeout on use, but never past the absolute lifetime', () => {
    const { s, clock } = store();
    const { id } = s.create();
    for (let i = 0; i < 6; i++) {
      clock.t += 1.5 * HOUR;
      expect(s.validate(id), `use ${i}`).not.toBeNull();
    }
    clock.t += 1.5 * HOUR;
    // 10.5 h since login: past the 10 h absolute lifetime although used every 1.5 h
    expect(s.validate(id)).toBeNull();
  });

  it('touch renews by digest (an open page), but not an expired session', () => {
    const { s, clock } = store();
    const { id, info } = s.create();
    clock.t += 1.5 * HOUR;
    expect(s.touch(info.key)).toBe(true);
    clock.t += 1.5 * HOUR;
    expect(s.validate(id)).not.toBeNull();
    clock.t += 2 * HOUR + 1;
    expect(s.touch(info.key)).toBe(false);
    expect(s.touch('0'.repeat(64))).toBe(false);
  });

  it('refuses unknown, empty and absurdly long ids', () => {
    const { s } = store();
    s.create();
    expect(s.validate('nope')).toBeNull();
    expect(s.validate('')).toBeNull();
    expect(s.validate(undefined)).toBeNull();
    expect(s.validate('x'.repeat(5000))).toBeNull();
  });

  it('logs out: destroy ends the session and reports its key once', () => {
    const { s } = store();
    const { id, info } = s.create();
    expect(s.destroy(id)).toBe(info.key);
    expect(s.validate(id)).toBeNull();
    expect(s.destroy(id)).toBeNull();
    expect(s.isLive(info.key)).toBe(false);
  });

  it('keeps at most maxSessions, dropping the oldest login', () => {
    const { s, clock } = store({ maxSessions: 3 });
    const ids = [0, 1, 2, 3].map(() => {
      clock.t += 1000;
      return s.create().id;
    });
    expect(s.size).toBe(3);
    expect(s.validate(ids[0])).toBeNull();
    expect(ids.slice(1).every((id) => s.validate(id) !== null)).toBe(true);
  });

  it('persists only SHA-256 digests (mode 0600) and survives a restart', () => {
    const file = join(tmp(), 'panel-sessions.json');
    const { s, clock } = store({ file });
    const { id, info } = s.create();
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(id);
    expect(text).toContain(info.key);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = new SessionStore({ now: () => clock.t, idleMs: 2 * HOUR, maxAgeMs: 10 * HOUR, file });
    again.load();
    expect(again.validate(id)?.key).toBe(info.key);
  });

  it('drops expired and malformed entries when loading, and treats a corrupt file as empty', () => {
    const file = join(tmp(), 's.json');
    const errors: Error[] = [];
    const now = 5_000_000;
    writeFileSync(
      file,
      JSON.stringify({ sessions: [{ key: 'a'.repeat(64), created: now - 100, expires: now - 1 }, { key: 'short', created: 0, expires: now + 1000 }, null] }),
    );
    const s = new SessionStore({ now: () => now, file, onError: (e) => errors.push(e) });
    s.load();
    expect(s.size).toBe(0);
    writeFileSync(file, '{not json');
    const t = new SessionStore({ now: () => now, file, onError: (e) => errors.push(e) });
    t.load();
    expect(t.size).toBe(0);
    expect(errors).toHaveLength(1);
  });
});
