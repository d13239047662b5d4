/**
 * Point-wise AUC-PR as average precision: Σ_k (R_k − R_{k−1})·P_k over the distinct score
 * thresholds θ_k from the highest down, where "predicted" means score ≥ θ_k. Step-wise, with no
 * interpolation between thresholds (the optimistic trapezoid is not used), so tied points enter
 * together and the value does not depend on their order.
 */
import { assertSameLength } from './roc-auc.ts';
import { positivesPerGroup, type ScoreGroups, scoreGroups } from './score-groups.ts';

/** Average precision of `scores` against 0/1 `labels`; NaN when no point is positive. */
export function averagePrecision(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  groups: ScoreGroups = scoreGroups(scores),
): number {
  assertSameLength(scores, labels);
  const positives = positivesPerGroup(groups, labels);
  let p = 0;
  for (const c of positives) p += c;
  if (p === 0) return Number.NaN;
  let tp = 0;
  let predicted = 0;
  let ap = 0;
  for (let g = 0; g < groups.count; g++) {
    tp += positives[g]!;
    predicted += groups.size[g]!;
    if (positives[g]! > 0) ap += (positives[g]! / p) * (tp / predicted);
  }
  return ap;
}
