/**
 * The score of one file at a threshold θ. Rows at or after the probationary period take part;
 * a row is a detection iff its anomaly score ≥ θ. Each window adds its earliest detection's
 * weight (the highest, since weights fall through a window), or −A_FN when it has none; each
 * detection outside the windows adds its own (negative) weight. A window with no scorable row
 * takes no part at all, as in NAB.
 */
import type { NabFile } from './nab-file.ts';
import { probationOf } from './probation.ts';
import type { NabProfile } from './profile.ts';
import { rowWeights } from './row-weight.ts';

/** Confusion counts over scorable rows: every detected window row is a TP, not just the first. */
export interface DetectionCounts {
  tp: number;
  tn: number;
  fp: number;
  fn: number;
}

export interface FileScore extends DetectionCounts {
  readonly file: string;
  /** The file's raw score at the threshold. */
  readonly score: number;
}

export function scoreFile(
  file: NabFile,
  scores: ArrayLike<number>,
  profile: NabProfile,
  threshold: number,
): FileScore {
  const { weight, window } = rowWeights(file.length, file.windows, profile);
  const probation = probationOf(file);
  // Best detected weight per window; NaN while the window has no detection.
  const best = new Float64Array(file.windows.length).fill(Number.NaN);
  let falsePositives = 0;
  const counts: DetectionCounts = { tp: 0, tn: 0, fp: 0, fn: 0 };
  for (let i = probation; i < file.length; i++) {
    const detected = scores[i]! >= threshold;
    const k = window[i]!;
    if (k >= 0) {
      if (detected) {
        counts.tp++;
        if (!(best[k]! >= weight[i]!)) best[k] = weight[i]!;
      } else {
        counts.fn++;
      }
    } else if (detected) {
      counts.fp++;
      falsePositives += weight[i]!;
    } else {
      counts.tn++;
    }
  }
  let score = falsePositives;
  file.windows.forEach((w, k) => {
    if (w.end < probation) return;
    score += Number.isNaN(best[k]!) ? -profile.fnWeight : best[k]!;
  });
  return { file: file.name, score, ...counts };
}
