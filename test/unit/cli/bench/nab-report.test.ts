import { beforeAll, describe, expect, it } from 'vitest';
import { loadNabCorpus, type NabCorpus } from '../../../../src/adapters/nab/corpus-loader.ts';
import type { NabBenchResult } from '../../../../src/cli/bench/nab.ts';
import { describeRun, isWholeNab, scoreboard } from '../../../../src/cli/bench/nab-report.ts';
import { NAB_DIR } from '../../core/bench/nab/nab-dataset.ts';

const ours: NabBenchResult = {
  detector: 'vigil',
  mode: 'nab',
  scores: { standard: 76.8, reward_low_FP_rate: 70.2, reward_low_FN_rate: 81.6 },
  thresholds: {},
  points: 0,
  seconds: 1,
  pointsPerSec: 0,
  kernelPointsPerSec: 0,
  stateBytesPerSeries: 0,
  seed: 0,
  ranking: {
    labels: 'labels/combined_windows.json windows',
    aggregate: 'mean of series',
    mean: { rocAuc: 0.61234, aucPr: 0.2, vusPr: Number.NaN, series: 3 },
    ceiling: { rocAuc: 0.75377, aucPr: 0.5, vusPr: 0.6, series: 3 },
    perFile: [],
  },
  alarms: {
    threshold: 0.5,
    flagged: 674,
    outside: 471,
    seriesDays: 2282.4,
    outsidePerSeriesDay: 471 / 2282.4,
    windowsHit: 107,
    windows: 116,
  },
};

let nab: NabCorpus;
beforeAll(async () => {
  nab = await loadNabCorpus(NAB_DIR);
});

describe('the NAB scoreboard', () => {
  it('ranks ours among the published leaders on NAB v1.1 whole', () => {
    expect(isWholeNab(nab)).toBe(true);
    const board = scoreboard(nab, [ours]);
    expect(board).toMatch(/ARTime\s+74\.9\s+65\.1\s+80\.4/);
    expect(board.indexOf('* vigil (Vigil, nab mode)')).toBeLessThan(board.indexOf('ARTime'));
    expect(board).not.toMatch(/not shown/);
    expect(board).toMatch(/ROC-AUC\s+AUC-PR\s+VUS-PR\n\* vigil \(Vigil, nab mode\)\s+0\.612\s+0\.200\s+-\n/);
    expect(board).toMatch(/\n {2}ceiling: a perfect causal detector\s+0\.754\s+0\.500\s+0\.600\n/);
  });

  it('shows only ours on a subset of NAB', () => {
    const subset = { ...nab, files: nab.files.slice(1) };
    expect(isWholeNab(subset)).toBe(false);
    const board = scoreboard(subset, [ours]);
    expect(board).not.toMatch(/ARTime|Numenta/);
    expect(board).toMatch(/published NAB entries not shown: this corpus is not NAB v1\.1 whole/);
  });
});

describe("a run's summary", () => {
  it('says what the pipeline flags at its production threshold', () => {
    expect(describeRun(ours, 2)).toMatch(
      /\n {2}at its production threshold 0\.5: 674 points flagged, 471 outside label windows \(0\.206 per series-day over 2,282 series-days\), 107\/116 windows hit/,
    );
  });
});
