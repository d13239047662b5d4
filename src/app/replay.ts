/**
 * "Try it": a candidate pipeline replayed over one series' stored points, with the anomaly runs it
 * would have raised. The replay itself is `vigil train`'s backtest (core/models/backtest.ts through
 * ./training.ts's worker pool of one), so a replay scores exactly as live scoring and as training
 * would; this file only bounds it for a server.
 *
 * Off the event loop: the backtest is one synchronous loop over the points, so it runs in a worker
 * thread of its own (./train-worker.ts), started per replay and terminated when it answers or its
 * time is up. A worker rather than slices yielding to the loop because terminating it is a hard
 * bound (a slow detector cannot overrun the deadline by a slice), and the backtest stays the one
 * `vigil train` runs, unchanged. Starting a worker costs a few hundred ms, small beside a replay.
 *
 * Limits (docs/http-api.md, "Try a pipeline"): the route replays at most the newest
 * REPLAY_MAX_POINTS points of the range (adapters/http/replay-routes.ts), at most REPLAY_CONCURRENCY replays at once per process (more wait for a slot), and the tenant's
 * query time budget (http.queryTimeoutMs, limits.queryTimeoutMs) for waiting and running together.
 */

import { VigilError } from '../core/errors.ts';
import type { TrainingSeries } from '../core/models/backtest.ts';
import type { ResolvedPipeline } from '../core/pipeline/declaration.ts';
import type { ScoredPoint } from '../core/point.ts';
import { type BacktestEvaluator, cpuEvaluator, shareSeries } from './training.ts';

/** Replays running at once per process; more wait (within their time budget) for a slot. */
export const REPLAY_CONCURRENCY = 2;

/** An anomaly run the replayed pipeline raised. */
export interface ReplayedAnomaly {
  start: number;
  end: number;
  peakScore: number;
  /** Points the run spans. */
  points: number;
}

export interface ReplayRun {
  anomalies: ReplayedAnomaly[];
  /** Points the engine scored. */
  scored: number;
}

let running = 0;
const waiting: { go(): void }[] = [];

/** Takes a replay slot, waiting until `deadline` (or an abort) at most; `release` hands it on. */
function slot(deadline: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted === true) return Promise.reject(gone());
  if (running < REPLAY_CONCURRENCY) {
    running++;
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const giveUp = (err: VigilError) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      waiting.splice(waiting.indexOf(entry), 1);
      reject(err);
    };
    const onAbort = () => giveUp(gone());
    const entry = {
      go: () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
    };
    const timer = setTimeout(() => giveUp(timeout(timeoutMs)), Math.max(0, deadline - performance.now()));
    signal?.addEventListener('abort', onAbort, { once: true });
    waiting.push(entry);
  });
}

function release(): void {
  const next = waiting.shift();
  if (next === undefined) running--;
  else next.go(); // the slot passes on: `running` stays
}

const timeout = (ms: number) =>
  new VigilError(
    'VIGIL_ERR_QUERY_TIMEOUT',
    `the replay ran past the query time budget (${ms} ms, http.queryTimeoutMs); narrow from..to`,
  );
const gone = () => new VigilError('VIGIL_ERR_QUERY_TIMEOUT', 'the client closed the connection');

/**
 * Replays `pipeline` over `points` (time order, distinct timestamps) in a worker thread; throws
 * VIGIL_ERR_QUERY_TIMEOUT once `timeoutMs` (waiting for a slot included) is spent or `signal`
 * aborts (the client went away), the worker terminated either way.
 */
export async function replayPoints(
  points: readonly ScoredPoint[],
  pipeline: ResolvedPipeline,
  allowedLatenessMs: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ReplayRun> {
  const deadline = performance.now() + timeoutMs;
  await slot(deadline, timeoutMs, signal);
  let pool: BacktestEvaluator | undefined;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const series: TrainingSeries = {
      key: 'replay',
      ts: Float64Array.from(points, (p) => p.ts),
      values: Float64Array.from(points, (p) => p.value),
      labels: [],
    };
    pool = cpuEvaluator(shareSeries([series]), 1, allowedLatenessMs);
    const out = await Promise.race([
      pool.run({ id: 0, pipeline, series: [0] }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeout(timeoutMs)), Math.max(0, deadline - performance.now()));
        onAbort = () => reject(gone());
        if (signal?.aborted === true) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    const r = out.results[0]!;
    return {
      scored: r.scored,
      anomalies: r.runs.map((run) => ({
        start: run.start,
        end: run.end,
        peakScore: run.peakScore,
        points: run.endRow - run.startRow + 1,
      })),
    };
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    // Terminates the worker, mid-replay when the time ran out or the client left.
    await pool?.close();
    release();
  }
}
