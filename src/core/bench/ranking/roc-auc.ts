/**
 * Point-wise ROC-AUC: the probability that a random positive point scores above a random
 * negative one, a tie counting one half (the Mann–Whitney statistic with average ranks, equal to
 * the trapezoidal area under the ROC curve through every distinct threshold).
 */
import { positivesPerGroup, type ScoreGroups, scoreGroups } from './score-groups.ts';

/**
 * ROC-AUC of `scores` against 0/1 `labels` (same length). Undefined (NaN) when the labels hold
 * no positive or no negative point. `groups` may be passed when already computed for `scores`.
 */
export function rocAuc(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  groups: ScoreGroups = scoreGroups(scores),
): number {
  assertSameLength(scores, labels);
  const positives = positivesPerGroup(groups, labels);
  let p = 0;
  for (const c of positives) p += c;
  const n = labels.length - p;
  if (p === 0 || n === 0) return Number.NaN;
  // From the lowest score up: each positive beats every negative below its group, ties half.
  let negativesBelow = 0;
  let wins = 0;
  for (let g = groups.count - 1; g >= 0; g--) {
    const pos = positives[g]!;
    const neg = groups.size[g]! - pos;
    wins += pos * (negativesBelow + neg / 2);
    negativesBelow += neg;
  }
  return wins / (p * n);
}

export function assertSameLength(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) {
    throw new RangeError(`${scores.length} scores for ${labels.length} labels`);
  }
}
