/**
 * `vigil bench cardinality` end to end, shortened: a fresh server per detector gets a few hundred
 * new series, every point of them is scored, the RSS figures and the time to first score are
 * reported; a server with a budget below its own resident set refuses new series with 503
 * VIGIL_ERR_MEMORY_PRESSURE. Figures are printed, never asserted (the machine is shared).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BudgetRun, CardinalityRun } from '../../src/cli/bench/cardinality-report.ts';
import { runVigil } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-cardinality-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil bench cardinality', () => {
  it('reports bytes per series and time to first score for each detector, and the refusal at the budget', async () => {
    const json = join(dir, 'cardinality.json');
    const { code, out } = await runVigil([
      'bench',
      'cardinality',
      '--detectors',
      'fast,default',
      '--series',
      '300',
      '--series-per-second',
      '150',
      '--points',
      '3',
      // Below any server's own resident set: every new series is refused at once.
      '--budget-mib',
      '64',
      '--budget-series',
      '1000',
      '--budget-seconds',
      '30',
      '--json',
      json,
    ]);
    expect(code).toBe(0);
    const results = JSON.parse(readFileSync(json, 'utf8')) as (CardinalityRun | BudgetRun)[];
    const runs = results.filter((r): r is CardinalityRun => r.name === 'cardinality');
    expect(runs.map((r) => r.detector)).toEqual(['fast', 'default']);
    for (const r of runs) {
      expect(r.series).toBe(300);
      expect(r.pointsSent).toBe(900);
      expect(r.pointsScored).toBe(900);
      expect(r.refused).toEqual({});
      expect(r.idleRssBytes).toBeGreaterThan(0);
      expect(r.endRssBytes).toBeGreaterThan(0);
      expect(Number.isFinite(r.bytesPerSeriesSlope)).toBe(true);
      expect(r.bytesPerSeriesEnd).toBe(Math.round((r.endRssBytes - r.idleRssBytes) / 300));
      // Under 200 series per sample wanted, every series is sampled: 300, each scored.
      expect(r.firstScoreMs.samples).toBe(300);
      expect(r.firstScoreMs.max).toBeGreaterThanOrEqual(r.firstScoreMs.p50!);
    }
    expect(runs[0]!.goalBytesPerSeries).toBe(4096);
    expect(runs[1]!.goalBytesPerSeries).toBe(65536);
    const budgets = results.filter((r): r is BudgetRun => r.name === 'cardinality-budget');
    expect(budgets.map((b) => b.detector)).toEqual(['fast', 'default']);
    for (const b of budgets) {
      expect(b.budgetBytes).toBe(64 << 20);
      expect(b.acceptedSeries).toBe(0);
      expect(b.firstRefusal).toMatchObject({ status: 503, code: 'VIGIL_ERR_MEMORY_PRESSURE', atSeries: 0 });
      expect(b.refused.VIGIL_ERR_MEMORY_PRESSURE).toBeGreaterThan(1);
      // The resident set was past this budget before the first series: not "refused before the budget".
      expect(b.maxRssBytes).toBeGreaterThan(b.budgetBytes);
      expect(b.refusedBeforeBudget).toBe(false);
    }
    expect(out).toMatch(/^fast\s+300\s/m);
    expect(out).toMatch(/^default\s+300\s/m);
    expect(out).toContain('first refusal 503 VIGIL_ERR_MEMORY_PRESSURE after 0 series');
    expect(out).toMatch(
      /^summary \(300 series × 3 points, 300 series × 3 points\): fast .* its goal ≤ 4\.0 KB; default .* its goal ≤ 64\.0 KB$/m,
    );
  }, 300_000);

  it('gives the growth servers the ingest limits the command line sets', async () => {
    const json = join(dir, 'cardinality-limits.json');
    const { code } = await runVigil([
      'bench',
      'cardinality',
      '--detectors',
      'fast',
      '--series',
      '400',
      '--series-per-second',
      '400',
      '--points',
      '1',
      '--budget-mib',
      '0',
      '--growth-max-series',
      '100',
      '--json',
      json,
    ]);
    expect(code).toBe(0);
    const [run] = JSON.parse(readFileSync(json, 'utf8')) as CardinalityRun[];
    // The server's own cap would take all 400; this one refuses past 100.
    expect(run!.series).toBeGreaterThan(0);
    expect(run!.series).toBeLessThanOrEqual(100);
    expect(run!.refused.VIGIL_ERR_SERIES_LIMIT).toBe(1);

    const bad = await runVigil(['bench', 'cardinality', '--growth-max-series', '0', '--json', json]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('--growth-max-series must be a number > 0 (got "0")');
  }, 120_000);
});
