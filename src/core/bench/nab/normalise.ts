/**
 * Normalisation to 0–100: the perfect detector scores 100 and the null detector 0, per profile.
 * Perfect detects the first row of every window and nothing else: A_TP per window. Null says 0.5
 * on every row, so its only candidate thresholds are 1.1 (no detections: −A_FN per scorable
 * window) and 0.5 (every scorable row detected); its score is the better of the two.
 */
import { scoreCorpus } from './corpus-score.ts';
import type { NabFile } from './nab-file.ts';
import type { NabProfile } from './profile.ts';
import { NO_DETECTION_THRESHOLD } from './threshold-sweep.ts';

export interface ScoreRange {
  readonly perfect: number;
  readonly null: number;
}

export function scoreRange(files: readonly NabFile[], profile: NabProfile): ScoreRange {
  const windows = files.reduce((n, f) => n + f.windows.length, 0);
  const constant = files.map((f) => new Float64Array(f.length).fill(0.5));
  const none = scoreCorpus(files, constant, profile, NO_DETECTION_THRESHOLD).score;
  const all = scoreCorpus(files, constant, profile, 0.5).score;
  return { perfect: profile.tpWeight * windows, null: Math.max(none, all) };
}

/** 100·(S − null)/(perfect − null). */
export function normaliseScore(raw: number, range: ScoreRange): number {
  return (100 * (raw - range.null)) / (range.perfect - range.null);
}
