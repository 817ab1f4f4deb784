import { mkdtempSync, readFileSync, readdirSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../daemon/intercom/event-log.js';

describe('event log', () => {
  it('writes JSON lines, returns newest first, and survives a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-ev-'));
    const log = new EventLog({ dir, maxBytes: 1 << 20, files: 3 });
    log.load();
    log.append('ring', { button: 'door', targets: ['sip:100@x'] });
    log.append('answer', { peer: 'sip:100@x' });
    expect(log.recent(10).map((e) => e.type)).toEqual(['answer', 'ring']);
    const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0])).toMatchObject({ type: 'ring', button: 'door' });
    appendFileSync(join(dir, 'events.jsonl'), '{"torn":');
    const again = new EventLog({ dir, maxBytes: 1 << 20, files: 3 });
    again.load();
    expect(again.recent(1)[0]).toMatchObject({ type: 'answer' });
  });

  it('rotates by size and keeps a bounded number of files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-ev-'));
    const log = new EventLog({ dir, maxBytes: 4096, files: 2 });
    log.load();
    for (let i = 0; i < 500; i++) log.append('code_failed', { n: i, pad: 'x'.repeat(50) });
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['events.1.jsonl', 'events.2.jsonl', 'events.jsonl']);
    for (const f of files) expect(readFileSync(join(dir, f)).length).toBeLessThanOrEqual(4096);
    expect(log.recent(1)[0]).toMatchObject({ n: 499 });
  });

  it('keeps going in memory when the disk fails, and reports it once', () => {
    const errors: Error[] = [];
    // a directory path below a plain file can never be created (ENOTDIR)
    const file = join(mkdtempSync(join(tmpdir(), 'portier-ev-')), 'plain-file');
    appendFileSync(file, 'x');
    const log = new EventLog({ dir: join(file, 'state'), maxBytes: 4096, files: 2, onError: (e) => errors.push(e) });
    log.load();
    log.append('ring');
    log.append('hangup');
    expect(log.recent(5).map((e) => e.type)).toEqual(['hangup', 'ring']);
    expect(errors).toHaveLength(1);
  });
});
