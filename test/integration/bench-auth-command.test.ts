/**
 * `vigil bench auth` end to end, shortened: two servers (no key / a key on every request), rounds
 * alternating between them, each round's points all accepted, CPU per point measured for both,
 * and the summary written.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVigil } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Round {
  withKey: boolean;
  round: number;
  pointsPerSec: number;
  mainCpuUsPerPoint: number;
  processCpuUsPerPoint: number;
  failed: number;
  rejected: number;
}

describe('vigil bench auth', () => {
  it('alternates rounds with and without a key and reports CPU per point for both', async () => {
    const json = join(dir, 'auth.json');
    const args = ['--seconds', '2', '--rounds', '2', '--at', '5000', '--series', '50', '--batch', '10'];
    const { code, out } = await runVigil(['bench', 'auth', ...args, '--connections', '4', '--json', json]);
    expect(code, out).toBe(0);
    expect(out).toMatch(/throughput cost of a key -?\d+\.\d %/);
    const result = JSON.parse(readFileSync(json, 'utf8')) as {
      rounds: Round[];
      without: { mainCpuUsPerPoint: number };
      withKey: { mainCpuUsPerPoint: number };
      throughputLossPercent: number;
    };
    // Round 1: no key first; round 2: the key first.
    expect(result.rounds.map((r) => [r.round, r.withKey])).toEqual([
      [1, false],
      [1, true],
      [2, true],
      [2, false],
    ]);
    for (const r of result.rounds) {
      // A keyed request without its key would be a 401 (failed): every request got through.
      expect(r.failed).toBe(0);
      expect(r.rejected).toBe(0);
      expect(r.pointsPerSec).toBeGreaterThan(0);
      expect(r.mainCpuUsPerPoint).toBeGreaterThan(0);
      expect(r.processCpuUsPerPoint).toBeGreaterThanOrEqual(r.mainCpuUsPerPoint);
    }
    expect(result.throughputLossPercent).toBeCloseTo(
      (1 - result.without.mainCpuUsPerPoint / result.withKey.mainCpuUsPerPoint) * 100,
      6,
    );
  }, 180_000);
});
