import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runSipCheck } from '../../../daemon/sip/sip-check.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/rfc4475');
const f = (name: string) => join(DIR, name);

describe('sip-check', () => {
  it('accepts well-formed datagrams and exits 0 when all are accepted', async () => {
    const r = await runSipCheck([f('wsinv.dat'), f('unkscm.dat'), f('noreason.dat')]);
    expect(r.lines).toEqual([`${f('wsinv.dat')}: accept`, `${f('unkscm.dat')}: accept`, `${f('noreason.dat')}: accept`]);
    expect(r.exitCode).toBe(0);
  });

  it('names the problem of each rejected file and exits 1', async () => {
    const r = await runSipCheck([f('wsinv.dat'), f('multi01.dat'), f('mcl01.dat'), f('clerr.dat')]);
    expect(r.lines[0]).toBe(`${f('wsinv.dat')}: accept`);
    expect(r.lines[1]).toMatch(/multi01\.dat: reject: the CSeq header appears more than once$/);
    expect(r.lines[2]).toMatch(/mcl01\.dat: reject: the Content-Length header appears more than once$/);
    expect(r.lines[3]).toMatch(/clerr\.dat: reject: Content-Length 9999 is larger/);
    expect(r.exitCode).toBe(1);
  });

  it('rejects two values in one line of a single-value header', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sip-check-'));
    const base = readFileSync(f('zeromf.dat'), 'latin1');
    const cases: Record<string, [string, string]> = {
      'two-to.dat': ['To: sip:user@example.com', 'To: <sip:user@example.com>, <sip:other@example.com>'],
      'two-callid.dat': ['Call-ID: zeromf.', 'Call-ID: a, zeromf.'],
      'two-cl.dat': ['Content-Length: 0', 'Content-Length: 0, 0'],
      'two-mf.dat': ['Max-Forwards: 0', 'Max-Forwards: 0, 1'],
    };
    const files = Object.entries(cases).map(([name, [from, to]]) => {
      expect(base).toContain(from);
      const path = join(dir, name);
      writeFileSync(path, base.replace(from, to), 'latin1');
      return path;
    });
    const r = await runSipCheck(files);
    rmSync(dir, { recursive: true, force: true });
    expect(r.exitCode).toBe(1);
    expect(r.lines.every((l) => /: reject: /.test(l))).toBe(true);
  });

  it('rejects a file it cannot read instead of failing', async () => {
    const r = await runSipCheck([f('does-not-exist.dat')]);
    expect(r.lines[0]).toMatch(/does-not-exist\.dat: reject: cannot read the file/);
    expect(r.exitCode).toBe(1);
  });
});
