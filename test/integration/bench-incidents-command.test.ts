/**
 * `vigil bench incidents` on a few scenarios: it prints its table and writes one result per case
 * with consistent counts (figures are read, never asserted: bench/README.md).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-incidents-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil bench incidents', () => {
  it('prints a table and writes both cases with consistent counts', () => {
    const json = join(dir, 'incidents.json');
    const run = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/vigil.mjs'), 'bench', 'incidents', '--scenarios', '3', '--seed', '7', '--json', json],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /case\s+scenarios\s+anomalies\s+faults\s+incidents\s+precision\s+recall\s+F1\s+top-1\s+top-3\s+changes\/s/,
    );
    const cases = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>[];
    expect(cases.map((c) => c.case)).toEqual(['time-and-labels', 'related-only']);
    for (const c of cases) {
      expect(c).toMatchObject({ name: 'incidents', scenarios: 3, seed: 7, faults: 9 });
      for (const k of ['precision', 'recall', 'f1', 'rootCauseTop1', 'rootCauseTop3']) {
        expect(c[k]).toBeGreaterThanOrEqual(0);
        expect(c[k]).toBeLessThanOrEqual(1);
      }
      expect(c.changesPerSec as number).toBeGreaterThan(0);
      expect(c.incidents as number).toBeGreaterThanOrEqual(9);
      expect(c.incidents as number).toBeLessThanOrEqual(c.anomalies as number);
    }
    // Same seed, same scenarios: both cases saw the same anomalies.
    expect(cases[0]!.anomalies).toBe(cases[1]!.anomalies);
  });
});
