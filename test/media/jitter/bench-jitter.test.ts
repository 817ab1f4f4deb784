import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrace, runBenchJitter, type TraceMetrics } from '../../../daemon/media/bench-jitter.js';
import { generatedTraces, toCsv } from '../../../scripts/bench/gen-jitter-traces.js';
import { recompute } from './recompute-metrics.js';

const FIXTURES = join(__dirname, '../../fixtures/jitter');
const GENERATED = join(__dirname, '../../../scripts/bench/jitter-traces');
const given = ['lan_low', 'g1050_spiky', 'lte_drx40_bler10'];
const generated = Object.keys(generatedTraces) as (keyof typeof generatedTraces)[];
const pathOf = (name: string) => join(given.includes(name) ? FIXTURES : GENERATED, `${name}.csv`);

let dir: string;
const results = new Map<string, TraceMetrics>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portier-bench-jitter-'));
  const lines = runBenchJitter([...given, ...generated].map(pathOf), { playoutDir: dir });
  for (const line of lines) {
    const m = JSON.parse(line) as TraceMetrics;
    results.set(m.trace, m);
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('bench-jitter output', () => {
  it('prints one JSON object per trace with exactly the agreed keys', () => {
    expect([...results.keys()]).toEqual([...given, ...generated]);
    for (const m of results.values()) {
      expect(Object.keys(m)).toEqual([
        'trace', 'frames', 'meanAddedMs', 'p95AddedMs', 'lateLossPct', 'concealPct', 'oracleMs', 'expandFrames', 'accelerateFrames',
      ]);
      expect(m.frames).toBe(9000);
    }
  });

  it('reports the hindsight oracle of the README for the given traces (4, 34, 33 ms)', () => {
    expect(Math.round(results.get('lan_low')!.oracleMs)).toBe(4);
    expect(Math.round(results.get('g1050_spiky')!.oracleMs)).toBe(34);
    expect(Math.round(results.get('lte_drx40_bler10')!.oracleMs)).toBe(33);
  });

  it('agrees with an independent recomputation from the trace and the playout CSV', () => {
    for (const [name, m] of results) {
      const r = recompute(readFileSync(pathOf(name), 'utf8'), readFileSync(join(dir, `${name}.csv`), 'utf8'));
      expect(r.frames).toBe(m.frames);
      expect(r.meanAddedMs).toBeCloseTo(m.meanAddedMs, 1);
      expect(r.p95AddedMs).toBeCloseTo(m.p95AddedMs, 1);
      expect(r.lateLossPct).toBeCloseTo(m.lateLossPct, 2);
      expect(r.concealPct).toBeCloseTo(m.concealPct, 2);
      expect(r.oracleMs).toBeCloseTo(m.oracleMs, 1);
    }
  });

  it('plays every frame at most once, in sequence order, on the 20 ms receiver tick', () => {
    for (const name of results.keys()) {
      const rows = readFileSync(join(dir, `${name}.csv`), 'utf8').trim().split('\n').slice(1);
      let lastSeq = -1;
      let lastT = -Infinity;
      const problems: string[] = [];
      for (const row of rows) {
        const [seq, t] = row.split(',').map(Number);
        if (!(seq > lastSeq) || !(t > lastT) || t % 20 !== 0) problems.push(`${name}: ${row} after ${lastSeq},${lastT}`);
        lastSeq = seq;
        lastT = t;
      }
      expect(problems).toEqual([]);
      expect(rows.length).toBeGreaterThan(8800);
    }
  });
});

describe('bench-jitter targets (deterministic replays)', () => {
  it.each(given)('%s: late loss <= 1 percent and mean added delay <= oracle + 30 ms', (name) => {
    const m = results.get(name)!;
    expect(m.lateLossPct).toBeLessThanOrEqual(1);
    expect(m.meanAddedMs).toBeLessThanOrEqual(m.oracleMs + 30);
  });

  it.each(generated)('%s (generated): late loss <= 1 percent and mean added delay within its target', (name) => {
    const m = results.get(name)!;
    expect(m.lateLossPct).toBeLessThanOrEqual(1);
    if (generatedTraces[name].kind === 'shifting') {
      const r = recompute(readFileSync(pathOf(name), 'utf8'), readFileSync(join(dir, `${name}.csv`), 'utf8'));
      expect(m.meanAddedMs).toBeLessThanOrEqual(r.wholeOracleMs + 20);
    } else {
      expect(m.meanAddedMs).toBeLessThanOrEqual(m.oracleMs + 30);
    }
  });

  it('beats the README reference adaptive buffer on the given traces', () => {
    // simple 95th-percentile adaptive buffer: 38, 77, 60 ms
    expect(results.get('lan_low')!.meanAddedMs).toBeLessThan(38);
    expect(results.get('g1050_spiky')!.meanAddedMs).toBeLessThan(77);
    expect(results.get('lte_drx40_bler10')!.meanAddedMs).toBeLessThan(60);
  });
});

describe('traces', () => {
  it('the committed generated traces are what the seeded generator produces', () => {
    for (const name of generated) {
      expect(readFileSync(pathOf(name), 'utf8')).toBe(toCsv(generatedTraces[name].make()));
    }
  });

  it('parseTrace reports a bad header or line instead of throwing', () => {
    expect(parseTrace('a,b,c\n1,2,3').ok).toBe(false);
    const bad = parseTrace('seq,send_ms,arrival_ms\n0,0,1.5\n1,20,abc\n');
    expect(bad.ok).toBe(false);
    expect(bad.reason).toContain('line 3');
    const ok = parseTrace('seq,send_ms,arrival_ms\n0,0,1.5\n1,20,\n');
    expect(ok.ok).toBe(true);
    expect(ok.rows[1].arrivalMs).toBeUndefined();
  });

  it('rejects an unreadable trace with a stable error code', () => {
    expect(() => runBenchJitter([join(dir, 'missing.csv')])).toThrowError(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});
