/**
 * Points grouped by distinct score, highest first: the thresholds of a threshold-free metric.
 * Group k holds every point whose score equals the k-th largest distinct value, so "predict
 * score ≥ θ_k" selects exactly groups 0..k and tied points always enter together.
 */

export interface ScoreGroups {
  /** Number of distinct scores. */
  readonly count: number;
  /** For each point, the index of its group (0 = highest score). */
  readonly groupOf: Uint32Array;
  /** Points per group. */
  readonly size: Uint32Array;
}

/** Groups `scores` (finite numbers; NaN is rejected) by distinct value, descending. O(n log n). */
export function scoreGroups(scores: ArrayLike<number>): ScoreGroups {
  const n = scores.length;
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i]!)) throw new RangeError(`score ${i} is NaN`);
    sorted[i] = scores[i]!;
  }
  sorted.sort();
  // Distinct values, highest first (−0 and 0 are one value).
  const distinct: number[] = [];
  for (let r = n - 1; r >= 0; r--) if (r === n - 1 || sorted[r] !== sorted[r + 1]) distinct.push(sorted[r]!);
  const groupOf = new Uint32Array(n);
  const size = new Uint32Array(distinct.length);
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    let lo = 0;
    let hi = distinct.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (distinct[mid]! > s) lo = mid + 1;
      else hi = mid;
    }
    groupOf[i] = lo;
    size[lo]!++;
  }
  return { count: distinct.length, groupOf, size };
}

/** Per group, how many points `labels` marks positive (labels[i] !== 0). */
export function positivesPerGroup(groups: ScoreGroups, labels: ArrayLike<number>): Uint32Array {
  const positives = new Uint32Array(groups.count);
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) positives[groups.groupOf[i]!]!++;
  return positives;
}
