/**
 * Scoring part of each NAB file (`vigil bench nab --warm-start`, `--train-halves`): a pipeline runs
 * over a file from some row on (after, optionally, learning the rows before it as history), and
 * only the rows from a cut on are scored, every one of them (no probationary period inside the
 * scored part: a pipeline that is still learning there pays for it, as it would live).
 *
 * Two readings of the same run, both with NAB's scorer and profiles:
 * - `sweep` (NAB's rules): the anomaly scores, one threshold per profile optimised over the corpus;
 * - `deployed`: what the pipeline itself raises, a detection at the first point of each run of
 *   points it flags at its own threshold (what an operator gets; what training's objective
 *   scores), at a fixed threshold.
 */
import type { NabCorpusFile } from '../../adapters/nab/corpus-loader.ts';
import type { NabFile } from '../../core/bench/nab/nab-file.ts';
import type { NabProfile } from '../../core/bench/nab/profile.ts';
import { scoreDetector } from '../../core/bench/nab/score-detector.ts';
import type { Pipeline } from '../../core/pipeline/pipeline.ts';
import { BOARD_PROFILES } from './nab-report.ts';

/** One run over a file: scores and run starts (1 at the first point of each flagged run), 0 before the scored rows. */
export interface SplitRun {
  scores: Float64Array;
  starts: Float64Array;
}

/** NAB score per profile under both readings. */
export interface SplitScores {
  sweep: Record<string, number>;
  deployed: Record<string, number>;
  /** The swept thresholds per profile. */
  thresholds: Record<string, number>;
}

/**
 * Runs `pipeline` over `file`: rows [from, history) are learnt (score-then-learn, what Engine.prime
 * does; nothing kept), rows [history, length) are scored and learnt as live. `from` ≤ `history`.
 */
export function runFrom(pipeline: Pipeline, file: NabCorpusFile, from: number, history: number): SplitRun {
  const scores = new Float64Array(file.length);
  const starts = new Float64Array(file.length);
  for (let i = from; i < history; i++) pipeline.step(file.ts[i]!, file.values[i]!);
  let open = false;
  for (let i = history; i < file.length; i++) {
    const p = pipeline.step(file.ts[i]!, file.values[i]!);
    scores[i] = p.score;
    if (p.anomalous && !open) starts[i] = 1;
    open = p.anomalous;
  }
  return { scores, starts };
}

/** The file as the scorer sees it when only rows ≥ `cut` count: windows ending before it dropped. */
export function scoredFrom(file: NabFile, cut: number): NabFile {
  return {
    name: file.name,
    length: file.length,
    windows: file.windows.filter((w) => w.end >= cut),
    probation: cut,
  };
}

/** NAB's three profiles under both readings, over the scored parts of every file. */
export function scoreSplit(
  files: readonly NabFile[],
  runs: readonly SplitRun[],
  profiles: readonly NabProfile[],
): SplitScores {
  const board = profiles.filter((p) => BOARD_PROFILES.includes(p.name));
  const sweep = scoreDetector(
    files,
    runs.map((r) => r.scores),
    board,
  );
  const fixed = Object.fromEntries(board.map((p) => [p.name, 0.5]));
  const deployed = scoreDetector(
    files,
    runs.map((r) => r.starts),
    board,
    fixed,
  );
  return {
    sweep: Object.fromEntries(sweep.map((p) => [p.profile, p.score])),
    deployed: Object.fromEntries(deployed.map((p) => [p.profile, p.score])),
    thresholds: Object.fromEntries(sweep.map((p) => [p.profile, p.threshold])),
  };
}

/** `standard / low FP / low FN` with two decimals. */
export function profileCells(scores: Record<string, number>): string {
  return BOARD_PROFILES.map((p) => scores[p]?.toFixed(2) ?? '-').join(' / ');
}
