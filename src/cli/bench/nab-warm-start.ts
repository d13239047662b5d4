/**
 * `vigil bench nab --warm-start <fraction>`: what a warm start (models.warmStartPoints,
 * Engine.prime) is worth on NAB. For each file the first `fraction` of its rows are the stored
 * history; the rest is scored twice by the same pipeline:
 * - warm: primed with the history first (each history row scored then learnt, nothing emitted:
 *   what Engine.prime does), then the rest scored live;
 * - cold: a fresh pipeline on the rest, as a series that got a new pipeline without a warm start.
 * Both are scored by NAB's scorer on the same rows (the rest, every row of it: no probationary
 * period inside it), under NAB's rules (swept threshold) and as deployed (./nab-split.ts).
 * One pass per file on this thread; the result depends only on the seed.
 */
import type { NabCorpus, NabCorpusFile } from '../../adapters/nab/corpus-loader.ts';
import type { DetectorHints } from '../../core/detectors/detector.ts';
import { builtinDetectors } from '../../core/detectors/index.ts';
import { pipelinesOf } from '../../core/pipeline/pipelines.ts';
import type { NabMode } from './nab.ts';
import {
  profileCells,
  runFrom,
  type SplitRun,
  type SplitScores,
  scoredFrom,
  scoreSplit,
} from './nab-split.ts';

export interface WarmStartBenchResult {
  detector: string;
  mode: NabMode;
  /** The share of each file given as history. */
  fraction: number;
  files: number;
  historyPoints: number;
  scoredPoints: number;
  warm: SplitScores & { runs: number };
  cold: SplitScores & { runs: number };
  /** Wall time of the warm and the cold passes. */
  seconds: { warm: number; cold: number };
  seed: number;
  /** The file filter, when only part of the corpus ran. */
  filesFilter?: string;
}

export function runWarmStartBench(
  corpus: NabCorpus,
  opts: {
    detector: string;
    mode: NabMode;
    fraction: number;
    seed: number;
    hints: readonly DetectorHints[];
    files?: string;
  },
  progress: (line: string) => void,
): WarmStartBenchResult {
  const pipelines = pipelinesOf(builtinDetectors());
  const { files } = corpus;
  const cuts = files.map((f) => Math.floor(opts.fraction * f.length));
  const pass = (warm: boolean): { runs: SplitRun[]; seconds: number } => {
    const started = performance.now();
    const runs = files.map((file: NabCorpusFile, i) => {
      const pipeline = pipelines.createNamed(opts.detector, opts.hints[i]);
      const cut = cuts[i]!;
      return runFrom(pipeline, file, warm ? 0 : cut, cut);
    });
    const seconds = (performance.now() - started) / 1000;
    progress(
      `nab warm start: ${warm ? 'warm' : 'cold'} pass over ${files.length} files in ${seconds.toFixed(1)} s`,
    );
    return { runs, seconds };
  };
  const warm = pass(true);
  const cold = pass(false);
  const scored = files.map((f, i) => scoredFrom(f, cuts[i]!));
  const count = (runs: SplitRun[]) => runs.reduce((n, r) => n + r.starts.reduce((a, b) => a + b, 0), 0);
  const historyPoints = cuts.reduce((a, b) => a + b, 0);
  return {
    detector: opts.detector,
    mode: opts.mode,
    fraction: opts.fraction,
    files: files.length,
    historyPoints,
    scoredPoints: files.reduce((n, f) => n + f.length, 0) - historyPoints,
    warm: { ...scoreSplit(scored, warm.runs, corpus.profiles), runs: count(warm.runs) },
    cold: { ...scoreSplit(scored, cold.runs, corpus.profiles), runs: count(cold.runs) },
    seconds: { warm: warm.seconds, cold: cold.seconds },
    seed: opts.seed,
    ...(opts.files !== undefined ? { filesFilter: opts.files } : {}),
  };
}

export function describeWarmStart(r: WarmStartBenchResult): string {
  const pct = (x: number) => `${Math.round(100 * x)} %`;
  const row = (name: string, s: SplitScores & { runs: number }) =>
    `  ${name.padEnd(6)} ${profileCells(s.sweep).padEnd(24)} ${profileCells(s.deployed).padEnd(24)} ${s.runs}`;
  return [
    `\nWarm start, ${r.detector} (${r.mode} mode): ${r.files} files, first ${pct(r.fraction)} of each as history ` +
      `(${r.historyPoints} points), the rest scored (${r.scoredPoints} points, every row)`,
    `  NAB standard / low FP / low FN: NAB's rules (threshold swept)  as deployed (run starts)  runs raised`,
    row('warm', r.warm),
    row('cold', r.cold),
    `  warm − cold, standard: ${(r.warm.sweep.standard! - r.cold.sweep.standard!).toFixed(2)} (NAB's rules), ` +
      `${(r.warm.deployed.standard! - r.cold.deployed.standard!).toFixed(2)} (as deployed)`,
  ].join('\n');
}
