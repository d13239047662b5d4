/**
 * A corpus file as the scorer sees it: its name, its row count and its label windows. A
 * detector's output for the file is a separate array of anomaly scores aligned by row position.
 */
import type { LabelWindow } from './window.ts';

export interface NabFile {
  /** Path relative to the corpus's `data/` folder, e.g. `realKnownCause/nyc_taxi.csv`. */
  readonly name: string;
  readonly length: number;
  /** Sorted, disjoint, inclusive row ranges (see window.ts). */
  readonly windows: readonly LabelWindow[];
  /**
   * Rows not scored, from the first: NAB's probationary length when absent. Set to score part of
   * a file only (a file's second half, the rows after a warm start's history).
   */
  readonly probation?: number;
}

/**
 * Checks a detector's scores for one file: one per row, each a number in [0, 1] (NAB's harness
 * rejects anything else, and the sweep's "no detection" threshold 1.1 relies on it).
 */
export function assertScores(file: NabFile, scores: ArrayLike<number>): void {
  if (scores.length !== file.length) {
    throw new RangeError(`${file.name}: ${scores.length} scores for ${file.length} rows`);
  }
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (!(s >= 0 && s <= 1))
      throw new RangeError(`${file.name}: row ${i}: anomaly score ${s} is not in [0, 1]`);
  }
}
