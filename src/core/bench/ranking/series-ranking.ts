/**
 * How well one series' scores rank its labelled points (ROC-AUC, AUC-PR, VUS-PR), and the mean
 * over a corpus's series: each series is scored on its own, then the series are averaged with
 * equal weight (as TSB-AD reports), not pooled. Series without any labelled point have no
 * value and are left out of the mean.
 */
import type { LabelWindow } from '../nab/window.ts';
import { averagePrecision } from './average-precision.ts';
import { dominantPeriod } from './dominant-period.ts';
import { pointLabels } from './point-labels.ts';
import { rocAuc } from './roc-auc.ts';
import { scoreGroups } from './score-groups.ts';
import { vusPr } from './vus-pr.ts';

export interface SeriesRanking {
  readonly rocAuc: number;
  readonly aucPr: number;
  readonly vusPr: number;
  /** VUS-PR's largest buffer: the series' sliding window (dominant-period.ts). */
  readonly window: number;
}

export type RankingMean = Omit<SeriesRanking, 'window'> & {
  /** Series in the mean (those with at least one labelled point). */
  readonly series: number;
};

/** The three measures of one series; undefined when it has no labelled range. */
export function rankSeries(
  scores: ArrayLike<number>,
  values: ArrayLike<number>,
  ranges: readonly LabelWindow[],
): SeriesRanking | undefined {
  if (ranges.length === 0) return undefined;
  const groups = scoreGroups(scores);
  const labels = pointLabels(scores.length, ranges);
  const window = dominantPeriod(values);
  return {
    rocAuc: rocAuc(scores, labels, groups),
    aucPr: averagePrecision(scores, labels, groups),
    vusPr: vusPr(scores, ranges, window, groups),
    window,
  };
}

/** Mean of each measure over the series that have one (NaN values, e.g. all points labelled, skipped). */
export function meanRanking(series: readonly (SeriesRanking | undefined)[]): RankingMean {
  const present = series.filter((s): s is SeriesRanking => s !== undefined);
  const mean = (pick: (s: SeriesRanking) => number) => {
    const xs = present.map(pick).filter((x) => !Number.isNaN(x));
    return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  return {
    rocAuc: mean((s) => s.rocAuc),
    aucPr: mean((s) => s.aucPr),
    vusPr: mean((s) => s.vusPr),
    series: present.length,
  };
}
