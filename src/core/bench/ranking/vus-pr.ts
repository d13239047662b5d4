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
 * O(n + ranges·L) per buffer length, O(n·L) in all.
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
  for (const r of ranges) {
    if (r.start > r.end || r.start < 0 || r.end >= scores.length) {
      throw new RangeError(`range [${r.start}, ${r.end}] lies outside ${scores.length} points`);
    }
    for (let i = r.start; i <= r.end; i++) inRanges[groups.groupOf[i]!]!++;
    positives += r.end - r.start + 1;
  }
  const surface: Surface = {
    groups,
    ranges,
    inRanges,
    positives,
    length: scores.length,
    buffer: new Float64Array(groups.count),
    found: new Uint32Array(groups.count),
  };
  let total = 0;
  for (let ell = 0; ell <= maxBuffer; ell++) total += rangeAucPr(surface, ell);
  return total / (maxBuffer + 1);
}

/** What every buffer length shares, and scratch arrays reused across lengths. */
interface Surface {
  readonly groups: ScoreGroups;
  readonly ranges: readonly LabelWindow[];
  /** Points inside ranges, per score group. */
  readonly inRanges: Float64Array;
  readonly positives: number;
  readonly length: number;
  /** Summed soft labels of buffer points, per score group (zeroed after each length). */
  readonly buffer: Float64Array;
  /** Segments whose highest-scoring point lies in each group (zeroed after each length). */
  readonly found: Uint32Array;
}

/** Range-AUC-PR at buffer length `ell`. */
function rangeAucPr(surface: Surface, ell: number): number {
  const { groupOf, size } = surface.groups;
  const { ranges, buffer, found } = surface;
  const h = Math.floor(ell / 2);
  let segments = 0;
  // The last group any labelled or buffer point falls in: below it TPR no longer changes.
  let last = 0;
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
      if (g < best) best = g;
      if (g > last) last = g;
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
  let inside = 0;
  let buffered = 0;
  let predicted = 0;
  let existing = 0;
  let previousTpr = 0;
  let area = 0;
  for (let k = 0; k <= last; k++) {
    inside += surface.inRanges[k]!;
    buffered += buffer[k]!;
    predicted += size[k]!;
    existing += found[k]!;
    buffer[k] = 0;
    found[k] = 0;
    const tp = inside + buffered;
    const recall = Math.min(tp / (surface.positives + buffered / 2), 1);
    const tpr = (recall * existing) / segments;
    area += (tpr - previousTpr) * (tp / predicted);
    previousTpr = tpr;
  }
  return area;
}
