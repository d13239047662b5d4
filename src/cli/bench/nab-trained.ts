/**
 * `vigil bench nab --train-halves`: what training is worth on unseen data. Each file is cut in
 * halves. Training gets the first halves only: their points and the labels that fall in them
 * (NAB: one `anomaly` label at the centre of each label window whose centre is in the first half,
 * so the objective's windows are NAB's; a UCR corpus: each labelled anomaly range that ends in the
 * first half). `firstHalfOf` copies those rows, so a trainer cannot reach a second half, and the
 * second halves' labels are read only by `scoreSecondHalves`, after every model is chosen.
 *
 * Then each pipeline (the engine default, the trained ones) runs over every whole file (the first
 * half as the history it would be primed with, then the second half live), and only the second
 * halves are scored: NAB's three profiles (./nab-split.ts: NAB's rules and as deployed) and, on a
 * UCR corpus, the UCR top-1 rule over the second half of each series whose anomaly lies there.
 * Pipelines run as the live engine builds them: from their declaration, no hints (strict mode).
 *
 * Two kinds of trained model: one global model for the corpus (a selector matching every file),
 * and, with `perFile`, one model per file trained on that file's first half alone (what a model
 * whose selector is one series would be).
 */
import type { NabCorpus, NabCorpusFile } from '../../adapters/nab/corpus-loader.ts';
import { UCR_TOLERANCE, ucrTop1 } from '../../core/bench/ranking/index.ts';
import { builtinDetectors } from '../../core/detectors/index.ts';
import type { PipelineDeclaration } from '../../core/pipeline/declaration.ts';
import { pipelinesOf } from '../../core/pipeline/pipelines.ts';
import {
  profileCells,
  runFrom,
  type SplitRun,
  type SplitScores,
  scoredFrom,
  scoreSplit,
} from './nab-split.ts';

/** A label on the first half, as training reads one (the span of the labelled anomaly, epoch ms). */
export interface FirstHalfLabel {
  label: 'anomaly';
  start: number;
  end: number;
}

/** What training sees of a file: its first half's points (increasing timestamps) and the labels in it. */
export interface FirstHalf {
  key: string;
  ts: Float64Array;
  values: Float64Array;
  labels: FirstHalfLabel[];
}

export interface TrainedModel {
  pipeline: PipelineDeclaration;
  /** What the trainer says of it (objective, score, candidate), printed and kept. */
  about: string;
}

/** Chooses a pipeline from first halves only. */
export type Trainer = (series: readonly FirstHalf[]) => Promise<TrainedModel>;

export interface SecondHalfScores extends SplitScores {
  /** UCR top-1 over the second halves that hold their series' anomaly; a UCR corpus only. */
  ucr?: { solved: number; series: number };
}

export interface TrainedBenchResult {
  corpus: string;
  files: number;
  /** Labels the first halves gave training (all files together). */
  trainingLabels: number;
  firstHalfPoints: number;
  secondHalfPoints: number;
  default: SecondHalfScores;
  global: SecondHalfScores & { model: TrainedModel; seconds: number };
  perFile?: SecondHalfScores & {
    models: { file: string; labels: number; model: TrainedModel }[];
    seconds: number;
  };
}

/** The row where a file's second half starts. */
export function halfOf(file: { length: number }): number {
  return Math.floor(file.length / 2);
}

/** The first half of `file` as training sees it (copied rows; repeated timestamps dropped, as a store keeps one). */
export function firstHalfOf(file: NabCorpusFile, ranges: boolean): FirstHalf {
  const mid = halfOf(file);
  const keep: number[] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < mid; i++) {
    if (file.ts[i]! > last) {
      keep.push(i);
      last = file.ts[i]!;
    }
  }
  const labels: FirstHalfLabel[] = [];
  if (ranges) {
    for (const r of file.ranges ?? []) {
      if (r.end < mid) labels.push({ label: 'anomaly', start: file.ts[r.start]!, end: file.ts[r.end]! });
    }
  } else {
    for (const w of file.windows) {
      const centre = Math.floor((w.start + w.end) / 2);
      if (centre < mid) labels.push({ label: 'anomaly', start: file.ts[centre]!, end: file.ts[centre]! });
    }
  }
  return {
    key: file.name,
    ts: Float64Array.from(keep, (i) => file.ts[i]!),
    values: Float64Array.from(keep, (i) => file.values[i]!),
    labels,
  };
}

export async function runTrainedBench(
  corpus: NabCorpus,
  opts: { trainer: Trainer; engineDefault: PipelineDeclaration; perFile: boolean },
  progress: (line: string) => void,
): Promise<TrainedBenchResult> {
  const { files } = corpus;
  // Everything a trainer gets: nothing of a second half.
  const halves = files.map((f) => firstHalfOf(f, corpus.hasRanges));
  const trainingLabels = halves.reduce((n, h) => n + h.labels.length, 0);
  progress(`train on first halves: ${files.length} files, ${trainingLabels} labels`);

  let started = performance.now();
  const global = await opts.trainer(halves);
  const globalSeconds = (performance.now() - started) / 1000;
  progress(`global model (${globalSeconds.toFixed(1)} s): ${global.about}`);

  let perFile: { file: string; labels: number; model: TrainedModel }[] | undefined;
  let perFileSeconds = 0;
  if (opts.perFile) {
    started = performance.now();
    perFile = [];
    for (const [i, h] of halves.entries()) {
      const model = await opts.trainer([h]);
      perFile.push({ file: files[i]!.name, labels: h.labels.length, model });
      progress(
        `  per-file model ${i + 1}/${files.length} ${files[i]!.name} (${h.labels.length} labels): ${model.about}`,
      );
    }
    perFileSeconds = (performance.now() - started) / 1000;
  }

  // Only now are second halves read, to score the chosen pipelines.
  const pipelines = pipelinesOf(builtinDetectors());
  const evaluate = (declarationOf: (f: number) => PipelineDeclaration, name: string): SecondHalfScores => {
    const t0 = performance.now();
    const runs = files.map((file, f) =>
      runFrom(pipelines.create(pipelines.resolve(declarationOf(f))), file, 0, halfOf(file)),
    );
    progress(`scored ${name} on the second halves in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return scoreSecondHalves(corpus, runs);
  };
  const result: TrainedBenchResult = {
    corpus: corpus.root,
    files: files.length,
    trainingLabels,
    firstHalfPoints: files.reduce((n, f) => n + halfOf(f), 0),
    secondHalfPoints: files.reduce((n, f) => n + f.length - halfOf(f), 0),
    default: evaluate(() => opts.engineDefault, 'the engine default'),
    global: { ...evaluate(() => global.pipeline, 'the global model'), model: global, seconds: globalSeconds },
  };
  if (perFile !== undefined) {
    const models = perFile;
    result.perFile = {
      ...evaluate((f) => models[f]!.model.pipeline, 'the per-file models'),
      models,
      seconds: perFileSeconds,
    };
  }
  return result;
}

/** NAB's profiles on the second halves, and UCR top-1 where the corpus has splits and ranges. */
export function scoreSecondHalves(corpus: NabCorpus, runs: readonly SplitRun[]): SecondHalfScores {
  const { files } = corpus;
  const scores: SecondHalfScores = scoreSplit(
    files.map((f) => scoredFrom(f, halfOf(f))),
    runs,
    corpus.profiles,
  );
  if (corpus.hasRanges && corpus.hasSplits) {
    let solved = 0;
    let series = 0;
    files.forEach((file, f) => {
      const anomaly = file.ranges?.[0];
      const mid = halfOf(file);
      if (file.ranges?.length !== 1 || anomaly === undefined || anomaly.start < mid) return;
      series++;
      if (ucrTop1(runs[f]!.scores, Math.max(mid, file.trainPoints ?? 0), anomaly).solved) solved++;
    });
    scores.ucr = { solved, series };
  }
  return scores;
}

export function describeTrained(r: TrainedBenchResult): string {
  const ucr = r.default.ucr !== undefined;
  const row = (name: string, s: SecondHalfScores) =>
    `  ${name.padEnd(22)} ${profileCells(s.sweep).padEnd(24)} ${profileCells(s.deployed).padEnd(24)}` +
    (s.ucr !== undefined ? ` ${s.ucr.solved}/${s.ucr.series}` : '');
  const lines = [
    `\nTrained on first halves, scored on second halves: ${r.corpus}, ${r.files} files, ` +
      `${r.trainingLabels} first-half labels, ${r.secondHalfPoints} points scored (strict: no hints)`,
    `  NAB standard / low FP / low FN:  NAB's rules (swept)       as deployed (run starts)` +
      (ucr ? `  UCR top-1 (±${UCR_TOLERANCE})` : ''),
    row('engine default', r.default),
    row('global model', r.global),
    ...(r.perFile !== undefined ? [row('per-file models', r.perFile)] : []),
    `  global − default, standard: ${(r.global.sweep.standard! - r.default.sweep.standard!).toFixed(2)} (NAB's rules), ` +
      `${(r.global.deployed.standard! - r.default.deployed.standard!).toFixed(2)} (as deployed)`,
    `  global model: ${r.global.model.about}`,
  ];
  return lines.join('\n');
}
