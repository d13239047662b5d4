/**
 * NAB's probationary period: the first rows of a file, during which a detector is learning.
 * Scoring ignores them (a detection there is neither a TP nor an FP), and NAB tells detectors
 * their length.
 */

/** Fraction of a file that is probationary, capped at this fraction of 5,000 rows. */
export const PROBATIONARY_FRACTION = 0.15;
const CAP_ROWS = 5000;

/** `min(floor(0.15·n), 750)` rows for a file of `length` rows. */
export function probationaryLength(length: number): number {
  return Math.min(Math.floor(PROBATIONARY_FRACTION * length), PROBATIONARY_FRACTION * CAP_ROWS);
}

/** The rows a file's scoring skips: its own `probation` where set, else NAB's probationary length. */
export function probationOf(file: { length: number; probation?: number }): number {
  return file.probation ?? probationaryLength(file.length);
}
