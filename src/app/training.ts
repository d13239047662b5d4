/**
 * Training on in-memory series: `train(series, opts)` backtests the candidates of the search
 * (core/models/search.ts) with the live engine on a pool of worker threads and scores each under
 * the objective (core/models/objective.ts). No registry, no server: `vigil train` (./train.ts)
 * reads the history and records the result; benches call this directly.
 *
 * Work is split into tasks of one candidate over a group of series, so every core is busy even
 * with fewer candidates than cores, and a candidate's result is complete when its last group is.
 * Evaluation goes through a `BacktestEvaluator`: today one CPU pool for every detector family; a
 * GPU-backed family would add an evaluator that takes the tasks of its pipelines (docs/models.md,
 * "A GPU-backed detector family later").
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { builtinDetectors } from '../core/detectors/index.ts';
import { pointsOf, type SeriesBacktest, type TrainingSeries } from '../core/models/backtest.ts';
import {
  DEFAULT_TARGET_ALERTS_PER_DAY,
  evaluate,
  type LabelSet,
  labelSet,
  type ObjectiveKind,
  type ObjectiveResult,
  objectiveOf,
} from '../core/models/objective.ts';
import { type Candidate, candidates } from '../core/models/search.ts';
import type { PipelineDeclaration, ResolvedPipeline } from '../core/pipeline/declaration.ts';
import { pipelinesOf } from '../core/pipeline/pipelines.ts';
import type { BacktestAnswer, BacktestTask, SharedSeries, TrainWorkerSetup } from './train-worker.ts';

export interface TrainOptions {
  /** Candidates in all, the fixed ones (production, engine default, given) included. */
  budget: number;
  /** The pipeline production serves now, when there is a production version. */
  production?: PipelineDeclaration;
  /** The engine's default pipeline. */
  engineDefault: PipelineDeclaration;
  /** More pipelines to evaluate, each with a label. */
  given?: readonly { label: string; pipeline: PipelineDeclaration }[];
  /** Search only these families (presets or detectors). */
  families?: readonly string[];
  /** The alert-rate objective's target (runs per series-day); default 1. */
  targetAlertsPerDay?: number;
  /** Worker threads; default every core (os.availableParallelism()). */
  workers?: number;
  /** As the engine's `engine.allowedLatenessMs` (history is sorted, so it rarely matters). */
  allowedLatenessMs?: number;
  /** Called once per candidate as its backtest completes (in completion order); awaited before train returns. */
  onCandidate?: (r: CandidateResult) => void | Promise<void>;
  /** Called as points are backtested: points done so far (of points × candidates). */
  onProgress?: (donePoints: number, totalPoints: number) => void;
  /** Evaluators to use instead of the CPU pool (tests; a GPU family later). */
  evaluators?: readonly BacktestEvaluator[];
}

export interface CandidateResult {
  candidate: Candidate;
  /** Per series, in the order of the training series. */
  backtest: SeriesBacktest[];
  result: ObjectiveResult;
  /** Thread time spent backtesting it, summed over its tasks (ms), and the CPU time of it. */
  busyMs: number;
  cpuMs: number;
}

export interface TrainResult {
  objective: ObjectiveKind;
  labels: LabelSet;
  /** In candidate order. */
  results: CandidateResult[];
  /** The best score; on a tie the earliest candidate (production, then the engine default, …). */
  winner: CandidateResult;
  /** Production's result on the same backtest, when there is a production version. */
  production?: CandidateResult;
  points: number;
  /**
   * Wall time of the backtests (ms), the thread time they took (summed over tasks), and the CPU
   * time the threads used: on a machine shared with other work the thread time includes waiting
   * for a core, the CPU time does not.
   */
  wallMs: number;
  busyMs: number;
  cpuMs: number;
  workers: number;
}

/**
 * Evaluates backtest tasks. `accepts` picks the candidates it runs (by pipeline, e.g. a detector
 * family); the first evaluator that accepts a candidate gets all of its tasks. Every evaluator
 * MUST return what the live Engine would: the anomaly runs of each series of the task.
 */
export interface BacktestEvaluator {
  readonly name: string;
  readonly slots: number;
  accepts(pipeline: ResolvedPipeline): boolean;
  /** The task's runs per series (in the task's series order), the time it took and the CPU time it used (ms). */
  run(task: BacktestTask): Promise<{ results: SeriesBacktest[]; ms: number; cpuMs: number }>;
  close(): Promise<void>;
}

/** The series packed into shared buffers once, for every worker to read. */
export function shareSeries(series: readonly TrainingSeries[]): SharedSeries {
  const total = pointsOf(series);
  const ts = new Float64Array(new SharedArrayBuffer(total * 8));
  const values = new Float64Array(new SharedArrayBuffer(total * 8));
  const offsets = new Int32Array(series.length + 1);
  let at = 0;
  series.forEach((s, i) => {
    offsets[i] = at;
    ts.set(s.ts, at);
    values.set(s.values, at);
    at += s.ts.length;
  });
  offsets[series.length] = at;
  return { ts, values, offsets, keys: series.map((s) => s.key) };
}

/** A pool of worker threads running the live engine (./train-worker.ts); accepts every pipeline. */
export function cpuEvaluator(
  shared: SharedSeries,
  workers: number,
  allowedLatenessMs: number,
): BacktestEvaluator {
  const setup: TrainWorkerSetup = { trainWorker: true, series: shared, allowedLatenessMs };
  const idle: Worker[] = [];
  const all: Worker[] = [];
  type Job = {
    task: BacktestTask;
    resolve: (r: { results: SeriesBacktest[]; ms: number; cpuMs: number }) => void;
    reject: (e: Error) => void;
  };
  const waiting: Job[] = [];
  const pending = new Map<number, Job>();
  const onWorker = new Map<Worker, number>();
  let closed = false;
  const dispatch = () => {
    while (idle.length > 0 && waiting.length > 0) {
      const w = idle.pop()!;
      const job = waiting.shift()!;
      pending.set(job.task.id, job);
      onWorker.set(w, job.task.id);
      w.postMessage(job.task);
    }
  };
  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    for (const j of waiting.splice(0)) j.reject(err);
  };
  for (let i = 0; i < workers; i++) {
    const w = new Worker(new URL('./train-worker.ts', import.meta.url), { workerData: setup });
    all.push(w);
    idle.push(w);
    w.on('message', (a: BacktestAnswer) => {
      const job = pending.get(a.id);
      pending.delete(a.id);
      onWorker.delete(w);
      idle.push(w);
      if (a.ok) job?.resolve({ results: a.results, ms: a.ms, cpuMs: a.cpuMs });
      else job?.reject(new Error(a.error));
      dispatch();
    });
    w.on('error', (err) => failAll(err));
    w.on('exit', (code) => {
      if (!closed) failAll(new Error(`a training worker exited with code ${code}`));
    });
  }
  return {
    name: 'cpu',
    slots: workers,
    accepts: () => true,
    run(task) {
      return new Promise((resolve, reject) => {
        waiting.push({ task, resolve, reject });
        dispatch();
      });
    },
    async close() {
      closed = true;
      await Promise.all(all.map((w) => w.terminate()));
    },
  };
}

/**
 * Splits series into at most `groups` groups of about equal points (longest first onto the
 * lightest group), each group's indices ascending.
 */
export function groupSeries(series: readonly TrainingSeries[], groups: number): number[][] {
  const g = Math.max(1, Math.min(groups, series.length));
  const out: { points: number; idx: number[] }[] = Array.from({ length: g }, () => ({ points: 0, idx: [] }));
  const order = series.map((_, i) => i).sort((a, b) => series[b]!.ts.length - series[a]!.ts.length || a - b);
  for (const i of order) {
    let best = out[0]!;
    for (const o of out) if (o.points < best.points) best = o;
    best.idx.push(i);
    best.points += series[i]!.ts.length;
  }
  return out.filter((o) => o.idx.length > 0).map((o) => o.idx.sort((a, b) => a - b));
}

/** Backtests every candidate over `series` and picks the winner (see the file header). */
export async function train(series: readonly TrainingSeries[], opts: TrainOptions): Promise<TrainResult> {
  const registry = builtinDetectors();
  const pipelines = pipelinesOf(registry);
  const list = candidates(pipelines, {
    budget: opts.budget,
    engineDefault: pipelines.resolve(opts.engineDefault, 'engineDefault'),
    ...(opts.production !== undefined
      ? { production: pipelines.resolve(opts.production, 'production') }
      : {}),
    given: (opts.given ?? []).map((g) => ({
      label: g.label,
      pipeline: pipelines.resolve(g.pipeline, g.label),
    })),
    ...(opts.families !== undefined ? { families: opts.families } : {}),
  });
  const labels = labelSet(series);
  const objective = objectiveOf(labels);
  const objectiveOpts = { targetAlertsPerDay: opts.targetAlertsPerDay ?? DEFAULT_TARGET_ALERTS_PER_DAY };
  const points = pointsOf(series);
  const workers = Math.max(1, opts.workers ?? availableParallelism());
  let evaluators = opts.evaluators;
  const owned = evaluators === undefined;
  if (evaluators === undefined) {
    evaluators = [cpuEvaluator(shareSeries(series), workers, opts.allowedLatenessMs ?? 0)];
  }
  const slots = evaluators.reduce((n, e) => n + e.slots, 0);
  // Enough tasks that the slots stay busy to the end (about four per slot), never splitting a series.
  const groups = groupSeries(series, Math.ceil((4 * slots) / Math.max(1, list.length)));
  const totalPoints = points * list.length;
  let donePoints = 0;
  let busyMs = 0;
  let cpuMs = 0;
  let nextId = 0;
  const started = performance.now();
  const callbacks: Promise<void>[] = [];
  try {
    const results = await Promise.all(
      list.map(async (candidate) => {
        const evaluator = evaluators.find((e) => e.accepts(candidate.pipeline));
        if (evaluator === undefined) throw new Error(`no evaluator accepts candidate ${candidate.index}`);
        const backtest = new Array<SeriesBacktest>(series.length);
        let candidateMs = 0;
        let candidateCpu = 0;
        await Promise.all(
          groups.map(async (idx) => {
            const task: BacktestTask = { id: nextId++, pipeline: candidate.pipeline, series: idx };
            const { results: out, ms, cpuMs: cpu } = await evaluator.run(task);
            candidateMs += ms;
            candidateCpu += cpu;
            idx.forEach((s, k) => {
              backtest[s] = out[k]!;
              donePoints += series[s]!.ts.length;
            });
            opts.onProgress?.(donePoints, totalPoints);
          }),
        );
        busyMs += candidateMs;
        cpuMs += candidateCpu;
        const result = evaluate(objective, series, labels, backtest, objectiveOpts);
        const r: CandidateResult = { candidate, backtest, result, busyMs: candidateMs, cpuMs: candidateCpu };
        if (opts.onCandidate !== undefined) callbacks.push(Promise.resolve(opts.onCandidate(r)));
        return r;
      }),
    );
    await Promise.all(callbacks);
    const wallMs = performance.now() - started;
    let winner = results[0]!;
    for (const r of results) if (r.result.score > winner.result.score) winner = r;
    const production = results.find((r) => r.candidate.origin === 'production');
    return {
      objective,
      labels,
      results,
      winner,
      ...(production !== undefined ? { production } : {}),
      points,
      wallMs,
      busyMs,
      cpuMs,
      workers: slots,
    };
  } finally {
    if (owned) await Promise.all(evaluators.map((e) => e.close()));
  }
}
