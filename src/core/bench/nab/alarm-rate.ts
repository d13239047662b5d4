/**
 * What a pipeline flags at one threshold, in production terms: points flagged, how many of them
 * lie outside every label window (false alarms, counted by point as NAB's scorer counts), per
 * series per day, and how many windows got at least one flagged point. Every row counts, the
 * probationary part included: a new series in production is scored from its first point.
 */
import type { NabFile } from './nab-file.ts';

export interface AlarmRate {
  threshold: number;
  /** Points scored at or above the threshold. */
  flagged: number;
  /** Flagged points outside every label window. */
  outside: number;
  /** Sum over series of the time from first to last point, in days. */
  seriesDays: number;
  /** `outside` / `seriesDays`; NaN when the corpus spans no time. */
  outsidePerSeriesDay: number;
  /** Label windows holding at least one flagged point. */
  windowsHit: number;
  windows: number;
}

const DAY_MS = 86_400_000;

export function alarmRate(
  files: readonly (NabFile & { readonly ts: Float64Array })[],
  scores: readonly ArrayLike<number>[],
  threshold: number,
): AlarmRate {
  let flagged = 0;
  let outside = 0;
  let seriesDays = 0;
  let windowsHit = 0;
  let windows = 0;
  files.forEach((file, f) => {
    const s = scores[f]!;
    if (file.length > 1) seriesDays += (file.ts[file.length - 1]! - file.ts[0]!) / DAY_MS;
    let w = 0;
    let hit = false;
    for (let i = 0; i < file.length; i++) {
      while (w < file.windows.length && file.windows[w]!.end < i) {
        if (hit) windowsHit++;
        hit = false;
        w++;
      }
      if (!(s[i]! >= threshold)) continue;
      flagged++;
      if (w < file.windows.length && file.windows[w]!.start <= i) hit = true;
      else outside++;
    }
    if (hit) windowsHit++;
    windows += file.windows.length;
  });
  return {
    threshold,
    flagged,
    outside,
    seriesDays,
    outsidePerSeriesDay: seriesDays > 0 ? outside / seriesDays : Number.NaN,
    windowsHit,
    windows,
  };
}
