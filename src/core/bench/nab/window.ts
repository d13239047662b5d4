/**
 * Label windows: the row ranges around labelled anomalies inside which an early detection is
 * rewarded. A window is an inclusive range of 0-based row indices. Windows are matched to rows
 * by position, never by sorting timestamps (some NAB files repeat or step back in time).
 */

export interface LabelWindow {
  /** First row, inclusive. */
  readonly start: number;
  /** Last row, inclusive. */
  readonly end: number;
}

/** Fraction of a file that the windows of its anomalies cover together. */
export const WINDOW_FRACTION = 0.1;

/**
 * Windows built by NAB's labelling rule from anomaly rows: each window has length
 * `L = int(0.10·n/k)` for k anomalies in n rows and is centred on its anomaly,
 * `[a − ⌊L/2⌋, a + ⌊L/2⌋]` clipped to the file. When the first window starts inside the
 * probationary period (`start < probation`) it is dropped; windows that touch or overlap are
 * merged into one spanning both. `anomalies` need not be sorted.
 */
export function windowsFromAnomalies(
  length: number,
  anomalies: readonly number[],
  probation: number,
): LabelWindow[] {
  if (anomalies.length === 0) return [];
  const half = Math.floor(Math.trunc((WINDOW_FRACTION * length) / anomalies.length) / 2);
  const raw = [...anomalies]
    .sort((a, b) => a - b)
    .map((a) => ({ start: Math.max(a - half, 0), end: Math.min(a + half, length - 1) }));
  if (raw[0]!.start < probation) raw.shift();
  const merged: LabelWindow[] = [];
  for (const w of raw) {
    const last = merged.at(-1);
    if (last !== undefined && w.start <= last.end) {
      merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, w.end) };
    } else {
      merged.push(w);
    }
  }
  return merged;
}

/**
 * Checks that windows lie inside a file of `length` rows, are sorted and do not overlap, as the
 * scorer assumes. Throws a RangeError naming the first offending window.
 */
export function assertWindows(length: number, windows: readonly LabelWindow[], where = 'windows'): void {
  let previousEnd = -1;
  windows.forEach((w, i) => {
    const ok =
      Number.isInteger(w.start) && Number.isInteger(w.end) && w.start > previousEnd && w.end >= w.start;
    if (!ok || w.end >= length) {
      throw new RangeError(
        `${where}[${i}]: [${w.start}, ${w.end}] must be sorted, disjoint rows in [0, ${length - 1}]`,
      );
    }
    previousEnd = w.end;
  });
}
