/**
 * `vigil bench nab`: runs detectors over the NAB corpus, writes their raw results in NAB's format
 * and scores them exactly as NAB does (threshold optimised per profile across the corpus).
 *
 * `--feedback` runs each pipeline twice, without and with a simulated operator whose labels are
 * fed back (core/bench/nab/feedback-operator.ts), and reports both. `--files` runs a subset.
 *
 * Besides NAB's scores it reports how well the scores rank labelled points (ROC-AUC, AUC-PR,
 * VUS-PR, nab-ranking.ts) and, with `--metric ucr` on a corpus from the UCR archive, the archive's
 * top-1 rule over each test part.
 *
 * `--mode nab` hands each detector what NAB's harness does (the file's min, max and
 * probationary length); `--mode strict` hands it only the stream (and the seed). Each file gets a
 * fresh detector; files run on worker threads, and the result depends only on the seed.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadNabCorpus, type NabCorpus, type NabCorpusFile } from '../../adapters/nab/corpus-loader.ts';
import { writeNabResults } from '../../adapters/nab/results-writer.ts';
import { type AlarmRate, alarmRate } from '../../core/bench/nab/alarm-rate.ts';
import { probationaryLength } from '../../core/bench/nab/probation.ts';
import { scoreDetector } from '../../core/bench/nab/score-detector.ts';
import type { DetectorHints } from '../../core/detectors/detector.ts';
import { builtinDetectors } from '../../core/detectors/index.ts';
import { VigilError } from '../../core/errors.ts';
import { pipelinesOf } from '../../core/pipeline/pipelines.ts';
import { PRESETS } from '../../core/pipeline/presets.ts';
import { interleaveByTimestamp, type KernelOrder, runKernel } from './nab-kernel.ts';
import { assertUcrCorpus, type NabRanking, rankCorpus, type UcrResult, ucrCorpus } from './nab-ranking.ts';
import { BOARD_PROFILES, describeRun, scoreboard } from './nab-report.ts';
import { describeTrained, runTrainedBench, type TrainedBenchResult, type Trainer } from './nab-trained.ts';
import { describeWarmStart, runWarmStartBench, type WarmStartBenchResult } from './nab-warm-start.ts';
import type { NabFileOutcome, NabFileTask, NabWorkerSetup, OperatorLabels } from './nab-worker.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** NAB v1.1, vendored with the repository (bench/datasets/nab, MIT). */
export const DEFAULT_CORPUS = resolve(REPO_ROOT, 'bench/datasets/nab');

export type NabMode = 'nab' | 'strict';
/** `ucr` adds the UCR archive's top-1 rule to NAB's scores (a corpus with splits.json). */
export type NabMetric = 'nab' | 'ucr';

export interface NabBenchOptions {
  /** A registered name or alias, or `all` (every registered detector, aliases excluded). */
  detector: string;
  /** Corpus root in NAB's layout; DEFAULT_CORPUS when absent. */
  corpus?: string;
  mode: NabMode;
  /** JSON result file; `bench/results/nab-<detector>-<mode>.json` per detector when absent. */
  json?: string;
  /** Results root in NAB's layout (`<dir>/<detector>/<category>/<detector>_<file>.csv`). */
  results?: string;
  seed: number;
  workers: number;
  /** Also run with a simulated operator's labels fed back (core/bench/nab/feedback-operator.ts). */
  feedback?: boolean;
  /** The operator's delay in points; one label window of each file when absent. */
  feedbackDelay?: number;
  /** Only the files whose name contains this (for development; scores are of the subset). */
  files?: string;
  /** `nab` when absent. */
  metric?: NabMetric;
  /** Warm start instead: this share of each file as history, the rest scored warm and cold (./nab-warm-start.ts). */
  warmStart?: number;
  /** Instead: train on the first halves, score the trained model(s) and the default on the second (./nab-trained.ts). */
  trainHalves?: boolean;
  /** With trainHalves: also one model per file, trained on that file's first half. */
  perFile?: boolean;
  /** With trainHalves: candidates per training (TrainOptions.budget); 16 when absent. */
  budget?: number;
}

export interface NabBenchResult {
  detector: string;
  mode: NabMode;
  /** NAB score (0 null … 100 perfect) per profile. */
  scores: Record<string, number>;
  /** The optimal threshold per profile. */
  thresholds: Record<string, number>;
  points: number;
  /** Wall time of the detection run over all files on the worker threads. */
  seconds: number;
  pointsPerSec: number;
  /** Single-thread, interleaved-stream throughput (see nab-kernel.ts). */
  kernelPointsPerSec: number;
  /** Mean JSON length of the detector's snapshot at the end of a file. */
  stateBytesPerSeries: number;
  seed: number;
  /** With feedback: the labels given and the scores of the same run without them. */
  feedback?: { delay: number | 'window'; labels: OperatorLabels; without: Record<string, number> };
  /** The file filter, when only part of the corpus ran. */
  files?: string;
  /** How well the scores rank labelled points, per file and the mean of files. */
  ranking: NabRanking;
  /** With `--metric ucr`: the UCR top-1 rule per file and the fraction solved. */
  ucr?: UcrResult;
  /** What the pipeline flags at its own (production) threshold. */
  alarms: AlarmRate;
}

/** Where the command writes: text lines, and the terminal stream for a progress bar if any. */
export interface BenchOutput {
  write(text: string): void;
  /** A TTY stream gets a progress bar; otherwise progress is written as plain lines. */
  tty?: NodeJS.WritableStream;
}

export function registerNab(bench: Command): void {
  bench
    .command('nab')
    .description('run detectors on the NAB corpus and score them as NAB does')
    .option('--detector <name>', 'detector name, alias, or "all"', 'default')
    .option('--corpus <dir>', `NAB corpus root (default ${relative(process.cwd(), DEFAULT_CORPUS) || '.'})`)
    .addOption(
      new Option('--mode <mode>', 'nab: detectors get min/max/probation; strict: only the stream')
        .choices(['nab', 'strict'])
        .default('nab'),
    )
    .option('--json <file>', 'result JSON (default bench/results/nab-<detector>-<mode>.json)')
    .option('--results <dir>', 'raw results root, NAB layout (default bench/results/nab)')
    .option('--seed <n>', 'seed handed to every detector', integer(0), 0)
    .option('--workers <n>', 'worker threads', integer(1), availableParallelism())
    .option('--feedback', 'also run with a simulated operator labelling each reported anomaly')
    .option('--feedback-delay <points>', 'operator delay in points (default: one label window)', integer(0))
    .option('--files <text>', 'only files whose name contains this (a development subset)')
    .addOption(
      new Option('--metric <metric>', 'ucr: also the UCR top-1 rule (a corpus with splits.json)')
        .choices(['nab', 'ucr'])
        .default('nab'),
    )
    .option(
      '--warm-start <fraction>',
      'instead: prime with this share of each file, score the rest warm and cold',
      fraction,
    )
    .option(
      '--train-halves',
      'instead: train on first halves (their labels only), score trained vs default on second halves',
    )
    .option('--per-file', 'with --train-halves: also one model per file (trained on its own first half)')
    .option('--budget <n>', 'with --train-halves: candidates per training (default 16)', integer(1))
    .action(async (opts: NabBenchOptions) => {
      if (opts.trainHalves === true) {
        await runTrainHalvesCommand(opts, (text) => process.stdout.write(text));
        return;
      }
      if (opts.warmStart !== undefined) {
        await runWarmStartCommand(opts, (text) => process.stdout.write(text));
        return;
      }
      await runNabBench(opts, {
        write: (text) => process.stdout.write(text),
        ...(process.stdout.isTTY ? { tty: process.stdout } : {}),
      });
    });
}

/** Runs the benchmark and writes its files; returns one result per detector. */
export async function runNabBench(options: NabBenchOptions, out: BenchOutput): Promise<NabBenchResult[]> {
  const pipelines = pipelinesOf(builtinDetectors());
  // Each name runs its pipeline: a preset, or a selectable detector's default pipeline.
  const detectors =
    options.detector === 'all'
      ? pipelines.selectable().filter((n) => n !== 'default')
      : [pipelines.named(options.detector).name ?? options.detector];
  const corpusDir = options.corpus === undefined ? defaultCorpus() : resolve(options.corpus);
  const corpus = subset(await loadNabCorpus(corpusDir), options.files);
  if (options.metric === 'ucr') assertUcrCorpus(corpus);
  const resultsRoot =
    options.results === undefined ? join(REPO_ROOT, 'bench/results/nab') : resolve(options.results);
  const hints = corpus.files.map((f) => hintsFor(f, options.mode, options.seed));
  const order = interleaveByTimestamp(corpus.files.map((f) => f.ts));
  const results: NabBenchResult[] = [];
  for (const detector of detectors) {
    const result = options.feedback
      ? await withFeedback(detector, corpus, hints, order, options, out)
      : await benchDetector(detector, corpus, hints, order, options, out);
    const dir = join(resultsRoot, options.feedback ? `${detector}-feedback` : detector);
    await Promise.all(
      result.files.map(async (scores, f) => writeNabResults(dir, detector, corpus.files[f]!, scores)),
    );
    results.push(result.summary);
    const json =
      options.json === undefined
        ? join(
            REPO_ROOT,
            `bench/results/nab-${detector}-${options.mode}${options.feedback ? '-feedback' : ''}.json`,
          )
        : resolve(options.json);
    if (options.json === undefined || detectors.length === 1) await writeJson(json, result.summary);
    out.write(`${describeRun(result.summary, options.workers)}\n  wrote ${json} and ${dir}/\n`);
  }
  if (options.json !== undefined && detectors.length > 1) await writeJson(resolve(options.json), results);
  out.write(scoreboard(corpus, results));
  return results;
}

/**
 * `--warm-start`: the default pipeline (or `--detector`) primed with the first `warmStart` of each
 * file against a cold start, on the rest; prints the table and writes
 * `bench/results/nab-warm-start-<detector>-<mode>.json` (or `--json`).
 */
export async function runWarmStartCommand(
  options: NabBenchOptions,
  write: (text: string) => void,
): Promise<WarmStartBenchResult> {
  const pipelines = pipelinesOf(builtinDetectors());
  if (options.detector === 'all') {
    throw new VigilError('VIGIL_ERR_CONFIG', '--warm-start runs one pipeline: name it with --detector');
  }
  const detector = pipelines.named(options.detector).name ?? options.detector;
  const corpus = subset(
    await loadNabCorpus(options.corpus === undefined ? defaultCorpus() : resolve(options.corpus)),
    options.files,
  );
  const result = runWarmStartBench(
    corpus,
    {
      detector,
      mode: options.mode,
      fraction: options.warmStart!,
      seed: options.seed,
      hints: corpus.files.map((f) => hintsFor(f, options.mode, options.seed)),
      ...(options.files !== undefined ? { files: options.files } : {}),
    },
    (line) => write(`${line}\n`),
  );
  const json =
    options.json === undefined
      ? join(REPO_ROOT, `bench/results/nab-warm-start-${detector}-${options.mode}.json`)
      : resolve(options.json);
  await writeJson(json, result);
  write(`${describeWarmStart(result)}\n  wrote ${json}\n`);
  return result;
}

/**
 * `--train-halves`: `train` (app/training.ts, what `vigil train` runs) on the first halves only,
 * one global model and with `--per-file` one per file; the default and the trained models scored
 * on the second halves. Writes `bench/results/train-halves-<corpus folder>.json` (or `--json`).
 */
export async function runTrainHalvesCommand(
  options: NabBenchOptions,
  write: (text: string) => void,
): Promise<TrainedBenchResult> {
  const corpus = subset(
    await loadNabCorpus(options.corpus === undefined ? defaultCorpus() : resolve(options.corpus)),
    options.files,
  );
  const engineDefault = PRESETS.get('default')!;
  const budget = options.budget ?? 16;
  // Loaded here: the rest of `vigil bench nab` does not need the training pool.
  const { train } = await import('../../app/training.ts');
  const trainer: Trainer = async (series) => {
    const r = await train(series, { budget, workers: options.workers, engineDefault });
    const c = r.winner.candidate;
    return {
      pipeline: c.pipeline,
      about:
        `${r.objective} ${r.winner.result.score.toFixed(2)}: c${String(c.index).padStart(3, '0')} ` +
        `${c.pipeline.name ?? c.pipeline.detector.name} (${c.origin}) of ${r.results.length} candidates`,
    };
  };
  const result = await runTrainedBench(
    corpus,
    { trainer, engineDefault, perFile: options.perFile === true },
    (line) => write(`${line}\n`),
  );
  const json =
    options.json === undefined
      ? join(REPO_ROOT, `bench/results/train-halves-${basename(corpus.root)}.json`)
      : resolve(options.json);
  await writeJson(json, { budget, ...result });
  write(`${describeTrained(result)}\n  wrote ${json}\n`);
  return result;
}

/** What the detector may know beyond the stream in each mode. */
export function hintsFor(file: NabCorpusFile, mode: NabMode, seed: number): DetectorHints {
  if (mode === 'strict') return { seed };
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of file.values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max, probationaryLength: probationaryLength(file.length), seed };
}

/** The run without feedback, then with it; the second's summary carries the first's scores. */
async function withFeedback(
  detector: string,
  corpus: NabCorpus,
  hints: readonly DetectorHints[],
  order: KernelOrder,
  options: NabBenchOptions,
  out: BenchOutput,
): Promise<{ summary: NabBenchResult; files: Float64Array[] }> {
  const without = await benchDetector(detector, corpus, hints, order, { ...options, feedback: false }, out);
  const run = await benchDetector(detector, corpus, hints, order, options, out);
  const s = run.summary;
  out.write(
    `${detector} (${options.mode}) with feedback (${s.feedback!.labels.anomaly} anomaly, ${s.feedback!.labels.not_anomaly} not_anomaly labels): ` +
      `${BOARD_PROFILES.map((p) => `${p} ${without.summary.scores[p]!.toFixed(2)} → ${s.scores[p]!.toFixed(2)}`).join(', ')}\n`,
  );
  s.feedback!.without = without.summary.scores;
  return run;
}

async function benchDetector(
  detector: string,
  corpus: NabCorpus,
  hints: readonly DetectorHints[],
  order: KernelOrder,
  options: NabBenchOptions,
  out: BenchOutput,
): Promise<{ summary: NabBenchResult; files: Float64Array[] }> {
  const { files } = corpus;
  const label = `nab ${detector} (${options.mode}${options.feedback ? ', feedback' : ''})`;
  const bar = progress(out, label, files.length);
  const started = performance.now();
  const setup: NabWorkerSetup = {
    nabBenchWorker: true,
    detector,
    feedback: options.feedback === true,
    ...(options.feedbackDelay !== undefined ? { feedbackDelay: options.feedbackDelay } : {}),
  };
  const run = await runInWorkers(setup, files, hints, options.workers, (f) => bar.tick(files[f]!.name));
  const seconds = (performance.now() - started) / 1000;
  bar.stop();
  const profiles = scoreDetector(files, run.scores, corpus.profiles);
  const pipelines = pipelinesOf(builtinDetectors());
  const kernelDetectors = files.map((_, f) => pipelines.createNamed(detector, hints[f]));
  const kernelPointsPerSec = runKernel(
    kernelDetectors,
    files.map((f) => f.ts),
    files.map((f) => f.values),
    order,
  );
  const points = files.reduce((n, f) => n + f.length, 0);
  const summary: NabBenchResult = {
    detector,
    mode: options.mode,
    scores: Object.fromEntries(profiles.map((p) => [p.profile, p.score])),
    thresholds: Object.fromEntries(profiles.map((p) => [p.profile, p.threshold])),
    points,
    seconds,
    pointsPerSec: points / seconds,
    kernelPointsPerSec,
    stateBytesPerSeries: run.stateBytes.reduce((a, b) => a + b, 0) / Math.max(files.length, 1),
    seed: options.seed,
    ...(options.feedback === true
      ? { feedback: { delay: options.feedbackDelay ?? 'window', labels: run.labels, without: {} } }
      : {}),
    ...(options.files !== undefined ? { files: options.files } : {}),
    ranking: rankCorpus(corpus, run.scores),
    alarms: alarmRate(files, run.scores, pipelines.named(detector).threshold),
    ...(options.metric === 'ucr' ? { ucr: ucrCorpus(corpus, run.scores) } : {}),
  };
  return { summary, files: run.scores };
}

/**
 * Runs every file on a pool of worker threads, longest files first, one file per message so
 * free workers pick up the rest. Files are copied to the workers; the scores come back moved.
 */
function runInWorkers(
  setup: NabWorkerSetup,
  files: readonly NabCorpusFile[],
  hints: readonly DetectorHints[],
  workers: number,
  onFile: (index: number) => void,
): Promise<{ scores: Float64Array[]; stateBytes: number[]; labels: OperatorLabels }> {
  const { detector } = setup;
  const labels: OperatorLabels = { anomaly: 0, not_anomaly: 0 };
  const queue = files.map((_, f) => f).sort((a, b) => files[b]!.length - files[a]!.length || a - b);
  const scores = new Array<Float64Array>(files.length);
  const stateBytes = new Array<number>(files.length);
  const pool: Worker[] = [];
  let remaining = files.length;
  return new Promise((resolvePromise, reject) => {
    if (remaining === 0) {
      resolvePromise({ scores, stateBytes, labels });
      return;
    }
    const fail = (err: unknown) => {
      for (const w of pool) void w.terminate();
      reject(err);
    };
    const feed = (worker: Worker) => {
      const f = queue.shift();
      if (f === undefined) {
        void worker.terminate();
        return;
      }
      const file = files[f]!;
      const task: NabFileTask = {
        index: f,
        ts: file.ts,
        values: file.values,
        hints: hints[f]!,
        windows: file.windows,
      };
      worker.postMessage(task);
    };
    for (let w = 0; w < Math.min(workers, files.length); w++) {
      const worker = new Worker(new URL('./nab-worker.ts', import.meta.url), { workerData: setup });
      pool.push(worker);
      worker.on('error', fail);
      worker.on('message', (outcome: NabFileOutcome) => {
        if (!outcome.ok) {
          fail(new Error(`${detector} on ${files[outcome.index]!.name}: ${outcome.error}`));
          return;
        }
        scores[outcome.index] = outcome.scores;
        stateBytes[outcome.index] = outcome.stateBytes;
        labels.anomaly += outcome.labels.anomaly;
        labels.not_anomaly += outcome.labels.not_anomaly;
        onFile(outcome.index);
        if (--remaining === 0) {
          for (const w of pool) void w.terminate();
          resolvePromise({ scores, stateBytes, labels });
        } else {
          feed(worker);
        }
      });
      feed(worker);
    }
  });
}

function progress(
  out: BenchOutput,
  label: string,
  total: number,
): { tick(file: string): void; stop(): void } {
  let done = 0;
  if (out.tty !== undefined) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} |{bar}| {value}/{total} files  {file}`, stream: out.tty, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { file: '' });
    return { tick: (file) => bar.update(++done, { file }), stop: () => bar.stop() };
  }
  return { tick: (file) => out.write(`${label} ${++done}/${total} ${file}\n`), stop: () => {} };
}

/** The corpus restricted to files whose name contains `text` (all of it when absent). */
function subset(corpus: NabCorpus, text: string | undefined): NabCorpus {
  if (text === undefined) return corpus;
  const files = corpus.files.filter((f) => f.name.includes(text));
  if (files.length === 0) {
    throw new VigilError('VIGIL_ERR_NOT_FOUND', `--files ${text}: no file of ${corpus.root} matches`);
  }
  return { ...corpus, files };
}

function defaultCorpus(): string {
  if (!existsSync(DEFAULT_CORPUS)) {
    throw new VigilError(
      'VIGIL_ERR_NOT_FOUND',
      `no NAB corpus at ${DEFAULT_CORPUS} (vendored with the repository: is this a full clone?); pass --corpus DIR`,
    );
  }
  return DEFAULT_CORPUS;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

function fraction(raw: string): number {
  const n = Number(raw);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('must be a number between 0 and 1 (exclusive)');
  return n;
}

function integer(min: number): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer ≥ ${min}`);
    return n;
  };
}
