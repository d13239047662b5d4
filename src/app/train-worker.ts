/**
 * A worker thread of `vigil train` (./training.ts is its main-thread side): backtests candidate
 * pipelines over a share of the training series with the live `Engine`, one fresh engine per
 * task. The series arrive once, in SharedArrayBuffers that every worker reads without a copy;
 * each message is one task (a candidate's pipeline and the series indices to run it over), each
 * answer that task's anomaly runs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { builtinDetectors } from '../core/detectors/index.ts';
import { backtest, type SeriesBacktest, type TrainingSeries } from '../core/models/backtest.ts';
import type { ResolvedPipeline } from '../core/pipeline/declaration.ts';
import { Engine } from '../engine/engine.ts';

/** The series as the workers share them: every ts and value back to back, with each series' offset. */
export interface SharedSeries {
  ts: Float64Array;
  values: Float64Array;
  /** Series i holds points offsets[i] .. offsets[i+1]-1; length series + 1. */
  offsets: Int32Array;
  keys: string[];
}

export interface TrainWorkerSetup {
  /** Marks the thread as a training worker (tests may run inside other worker threads). */
  trainWorker: true;
  series: SharedSeries;
  allowedLatenessMs: number;
}

export interface BacktestTask {
  /** The caller's id for the answer. */
  id: number;
  pipeline: ResolvedPipeline;
  /** Indices into the shared series. */
  series: number[];
}

export type BacktestAnswer =
  | { id: number; ok: true; results: SeriesBacktest[]; ms: number; cpuMs: number }
  | { id: number; ok: false; error: string };

/** Series as views into the shared buffers (no copy); labels are not needed to backtest. */
export function seriesViews(shared: SharedSeries, indices: readonly number[]): TrainingSeries[] {
  return indices.map((i) => {
    const a = shared.offsets[i]!;
    const b = shared.offsets[i + 1]!;
    return {
      key: shared.keys[i]!,
      ts: shared.ts.subarray(a, b),
      values: shared.values.subarray(a, b),
      labels: [],
    };
  });
}

/** One task: a fresh live engine with the candidate as its default pipeline, over the task's series. */
export function runBacktestTask(
  registry: ReturnType<typeof builtinDetectors>,
  shared: SharedSeries,
  task: BacktestTask,
  allowedLatenessMs: number,
): SeriesBacktest[] {
  const engine = new Engine({ registry, defaults: { pipeline: task.pipeline }, allowedLatenessMs });
  return backtest(engine, seriesViews(shared, task.series));
}

const setup = workerData as Partial<TrainWorkerSetup> | null;
if (parentPort !== null && setup?.trainWorker === true && setup.series !== undefined) {
  const port = parentPort;
  const shared = setup.series;
  const registry = builtinDetectors();
  port.on('message', (task: BacktestTask) => {
    const started = performance.now();
    const cpu = process.threadCpuUsage();
    let answer: BacktestAnswer;
    try {
      const results = runBacktestTask(registry, shared, task, setup.allowedLatenessMs ?? 0);
      const used = process.threadCpuUsage(cpu);
      answer = {
        id: task.id,
        ok: true,
        results,
        ms: performance.now() - started,
        cpuMs: (used.user + used.system) / 1000,
      };
    } catch (err) {
      answer = {
        id: task.id,
        ok: false,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      };
    }
    port.postMessage(answer);
  });
}
