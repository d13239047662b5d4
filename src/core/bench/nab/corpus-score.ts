/** The corpus's raw score at one threshold: the sum of its files' scores, with summed counts. */
import { CompensatedSum } from './compensated-sum.ts';
import { type DetectionCounts, type FileScore, scoreFile } from './file-score.ts';
import { assertScores, type NabFile } from './nab-file.ts';
import type { NabProfile } from './profile.ts';

export interface CorpusScore extends DetectionCounts {
  readonly score: number;
  readonly files: readonly FileScore[];
}

/** `scores[f]` holds the anomaly scores of `files[f]`, row by row. */
export function scoreCorpus(
  files: readonly NabFile[],
  scores: readonly ArrayLike<number>[],
  profile: NabProfile,
  threshold: number,
): CorpusScore {
  const total = new CompensatedSum();
  const counts: DetectionCounts = { tp: 0, tn: 0, fp: 0, fn: 0 };
  const perFile = files.map((file, f) => {
    assertScores(file, scores[f]!);
    const s = scoreFile(file, scores[f]!, profile, threshold);
    total.add(s.score);
    counts.tp += s.tp;
    counts.tn += s.tn;
    counts.fp += s.fp;
    counts.fn += s.fn;
    return s;
  });
  return { score: total.value, ...counts, files: perFile };
}
