/**
 * VUS-PR, the volume under the range-PR surface (Paparrizos, Boniol, Palpanas, Tsay, Elmore,
 * Franklin: "Volume Under the Surface: A New Accuracy Evaluation Measure for Time-Series Anomaly
 * Detection", PVLDB 15(11), 2022), as the TSB-AD benchmark computes it, written from that
 * definition:
 *
 * For a buffer length ℓ (h = ⌊ℓ/2⌋), each labelled range [s, e] gets soft labels on the h points
 * either side, √(1 − d/ℓ) at distance d from the range (summed where buffers overlap, capped at
 * 1); ranges whose buffered spans touch form one segment. At a threshold θ (predicted: score ≥ θ),
 * with C the predicted points inside ranges, B the summed soft labels of predicted buffer points,
 * P the points inside ranges and N(θ) the predicted points:
 *   TP = C + B,  recall = min(TP / (P + B/2), 1),  existence = segments holding a predicted
 *   point / segments,  TPR = recall · existence,  precision = TP / N(θ).
 * Range-AUC-PR(ℓ) = Σ_k (TPR_k − TPR_{k−1}) · precision_k over thresholds from the highest down
 * (TPR_0 = 0), and VUS-PR = the mean of Range-AUC-PR(ℓ) over ℓ = 0, 1, …, L.
 *
 * Thresholds: every distinct score (exact), where TSB-AD samples 250 scores at evenly spaced
 * ranks; the two agree as the sample gets denser. Cost: O(n log n) to group the scores once, then
 * O(m log m) per buffer length for the m points within L/2 of a range.
 */
import type { LabelWindow } from '../nab/window.ts';
import { type ScoreGroups, scoreGroups } from './score-groups.ts';

/**
 * VUS-PR of `scores` against the labelled `ranges` (sorted, disjoint, inclusive rows) with
 * buffers up to `maxBuffer` (L ≥ 0). NaN when there is no range.
 */
export function vusPr(
  scores: ArrayLike<number>,
  ranges: readonly LabelWindow[],
  maxBuffer: number,
  groups: ScoreGroups = scoreGroups(scores),
): number {
  if (!Number.isInteger(maxBuffer) || maxBuffer < 0) {
    throw new RangeError(`maxBuffer ${maxBuffer} must be an integer ≥ 0`);
  }
  if (ranges.length === 0) return Number.NaN;
  const inRanges = new Float64Array(groups.count);
  let positives = 0;
  let spanned = 0;
  for (const r of ranges) {
    if (r.start > r.end || r.start < 0 || r.end >= scores.length) {
      throw new RangeError(`range [${r.start}, ${r.end}] lies outside ${scores.length} points`);
    }
    for (let i = r.start; i <= r.end; i++) inRanges[groups.groupOf[i]!]!++;
    positives += r.end - r.start + 1;
    spanned += r.end - r.start + 1 + maxBuffer;
  }
  // Running totals over groups 0..k: points predicted, and of them inside ranges.
  const predictedUpTo = new Float64Array(groups.count);
  const insideUpTo = new Float64Array(groups.count);
  for (let k = 0, predicted = 0, inside = 0; k < groups.count; k++) {
    predicted += groups.size[k]!;
    inside += inRanges[k]!;
    predictedUpTo[k] = predicted;
    insideUpTo[k] = inside;
  }
  const surface: Surface = {
    groups,
    ranges,
    predictedUpTo,
    insideUpTo,
    positives,
    length: scores.length,
    buffer: new Float64Array(groups.count),
    found: new Uint32Array(groups.count),
    touched: new Uint32Array(Math.min(spanned, scores.length)),
  };
  let total = 0;
  for (let ell = 0; ell <= maxBuffer; ell++) total += rangeAucPr(surface, ell);
  return total / (maxBuffer + 1);
}

/** What every buffer length shares, and scratch arrays reused across lengths. */
interface Surface {
  readonly groups: ScoreGroups;
  readonly ranges: readonly LabelWindow[];
  /** Points predicted at threshold θ_k (groups 0..k). */
  readonly predictedUpTo: Float64Array;
  /** Points inside ranges predicted at θ_k. */
  readonly insideUpTo: Float64Array;
  readonly positives: number;
  readonly length: number;
  /** Summed soft labels of buffer points, per score group (zeroed after each length). */
  readonly buffer: Float64Array;
  /** Segments whose highest-scoring point lies in each group (zeroed after each length). */
  readonly found: Uint32Array;
  /** The groups of the points in segments (room for the widest buffers). */
  readonly touched: Uint32Array;
}

/**
 * Range-AUC-PR at buffer length `ell`. TPR changes only at thresholds whose group holds a point
 * of a segment (a labelled or buffer point), so only those are visited, in order: O(m log m) for
 * the m points in segments, whatever the series' length.
 */
function rangeAucPr(surface: Surface, ell: number): number {
  const { groupOf } = surface.groups;
  const { ranges, buffer, found, touched } = surface;
  const h = Math.floor(ell / 2);
  let segments = 0;
  let m = 0;
  for (let first = 0; first < ranges.length; ) {
    let end = first;
    while (end + 1 < ranges.length && ranges[end]!.end + h >= ranges[end + 1]!.start - h) end++;
    const a = Math.max(ranges[first]!.start - h, 0);
    const b = Math.min(ranges[end]!.end + h, surface.length - 1);
    let best = Number.POSITIVE_INFINITY;
    let next = first; // the first range of the segment not wholly left of i
    for (let i = a; i <= b; i++) {
      while (next <= end && ranges[next]!.end < i) next++;
      const g = groupOf[i]!;
      touched[m++] = g;
      if (g < best) best = g;
      if (next <= end && ranges[next]!.start <= i) continue; // inside a range
      // Every buffer a point lies in adds √(1 − d/ℓ) ≥ √½ (d ≤ ℓ/2), so two of them reach the
      // cap of 1; beyond the nearest edge on each side, only the second nearest can matter.
      const after = next > first ? i - ranges[next - 1]!.end : Number.POSITIVE_INFINITY;
      const before = next <= end ? ranges[next]!.start - i : Number.POSITIVE_INFINITY;
      const after2 = next - 2 >= first ? i - ranges[next - 2]!.end : Number.POSITIVE_INFINITY;
      const before2 = next + 1 <= end ? ranges[next + 1]!.start - i : Number.POSITIVE_INFINITY;
      let w = 0;
      if (after <= h) w += Math.sqrt(1 - after / ell);
      if (before <= h) w += Math.sqrt(1 - before / ell);
      if (after2 <= h || before2 <= h) w = 1;
      buffer[g]! += Math.min(w, 1);
    }
    found[best]!++;
    segments++;
    first = end + 1;
  }
  const visit = touched.subarray(0, m).sort();
  let buffered = 0;
  let existing = 0;
  let previousTpr = 0;
  let area = 0;
  for (let j = 0; j < m; j++) {
    const k = visit[j]!;
    if (j + 1 < m && visit[j + 1] === k) continue; // the last of equal groups
    buffered += buffer[k]!;
    existing += found[k]!;
    buffer[k] = 0;
    found[k] = 0;
    const tp = surface.insideUpTo[k]! + buffered;
    const recall = Math.min(tp / (surface.positives + buffered / 2), 1);
    const tpr = (recall * existing) / segments;
    area += (tpr - previousTpr) * (tp / surface.predictedUpTo[k]!);
    previousTpr = tpr;
  }
  return area;
}
