/** Point labels from labelled ranges: 1 inside any range (inclusive rows), 0 elsewhere. */
import type { LabelWindow } from '../nab/window.ts';

export function pointLabels(length: number, ranges: readonly LabelWindow[]): Uint8Array {
  const labels = new Uint8Array(length);
  for (const r of ranges) {
    if (r.start < 0 || r.end >= length || r.start > r.end) {
      throw new RangeError(`range [${r.start}, ${r.end}] lies outside ${length} points`);
    }
    labels.fill(1, r.start, r.end + 1);
  }
  return labels;
}
