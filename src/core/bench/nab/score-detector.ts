/**
 * A detector's NAB result: for each profile, its threshold (given, or optimised across the
 * corpus), the corpus raw score and counts at that threshold, and the score normalised to 0–100.
 */
import { scoreCorpus } from './corpus-score.ts';
import type { DetectionCounts } from './file-score.ts';
import type { NabFile } from './nab-file.ts';
import { normaliseScore, scoreRange } from './normalise.ts';
import type { NabProfile } from './profile.ts';
import { type RankedRows, rankRows, sweepThresholds } from './threshold-sweep.ts';

export interface ProfileResult extends DetectionCounts {
  readonly profile: string;
  readonly threshold: number;
  /** Corpus raw score S(θ). */
  readonly rawScore: number;
  /** 100·(S − null)/(perfect − null). */
  readonly score: number;
}

/**
 * Scores `scores[f]` (the detector's output for `files[f]`) under each profile. With
 * `thresholds[profile.name]` given, scores at that threshold; otherwise sweeps for the optimum.
 */
export function scoreDetector(
  files: readonly NabFile[],
  scores: readonly ArrayLike<number>[],
  profiles: readonly NabProfile[],
  thresholds: Readonly<Record<string, number>> = {},
): ProfileResult[] {
  let ranked: RankedRows | undefined;
  return profiles.map((profile) => {
    let threshold = thresholds[profile.name];
    if (threshold === undefined) {
      ranked ??= rankRows(files, scores);
      threshold = sweepThresholds(ranked, profile).threshold;
    }
    const { score: rawScore, tp, tn, fp, fn } = scoreCorpus(files, scores, profile, threshold);
    const score = normaliseScore(rawScore, scoreRange(files, profile));
    return { profile: profile.name, threshold, rawScore, score, tp, tn, fp, fn };
  });
}
