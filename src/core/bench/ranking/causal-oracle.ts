/**
 * The best scores a causal detector can give (pure): 1 on every labelled point from the moment
 * its anomaly begins, 0 everywhere else. A detector sees only the past, so a labelled point
 * before its anomaly's onset looks like any ordinary point; NAB centres each label window on the
 * labelled anomaly, so about half of every window precedes what a detector could know. Ranking
 * these scores gives the ceiling of the point-wise measures for a detector that sees no
 * precursor: with NAB's windows ROC-AUC ≈ 0.75, not 1 (docs/detectors.md).
 */
import type { LabelWindow } from '../nab/window.ts';

/**
 * Oracle scores over `length` points: within each of `ranges`, 1 from the first of `onsets`
 * inside it to the range's end; a range holding no onset starts at its first point (the UCR
 * archive's ranges are the anomaly itself).
 */
export function causalOracle(
  length: number,
  ranges: readonly LabelWindow[],
  onsets: readonly number[] = [],
): Float64Array {
  const scores = new Float64Array(length);
  for (const r of ranges) {
    let from = r.end + 1;
    for (const o of onsets) if (o >= r.start && o <= r.end) from = Math.min(from, o);
    if (from > r.end) from = r.start;
    scores.fill(1, from, r.end + 1);
  }
  return scores;
}
