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
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i]!)) throw new RangeError(`score ${i} is NaN`);
    order[i] = i;
  }
  order.sort((a, b) => scores[b]! - scores[a]! || a - b);
  const groupOf = new Uint32Array(n);
  const sizes: number[] = [];
  for (let r = 0; r < n; r++) {
    const i = order[r]!;
    if (r === 0 || scores[i] !== scores[order[r - 1]!]) sizes.push(0);
    groupOf[i] = sizes.length - 1;
    sizes[sizes.length - 1]!++;
  }
  return { count: sizes.length, groupOf, size: Uint32Array.from(sizes) };
}

/** Per group, how many points `labels` marks positive (labels[i] !== 0). */
export function positivesPerGroup(groups: ScoreGroups, labels: ArrayLike<number>): Uint32Array {
  const positives = new Uint32Array(groups.count);
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) positives[groups.groupOf[i]!]!++;
  return positives;
}
