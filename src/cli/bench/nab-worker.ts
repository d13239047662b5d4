/**
 * Worker thread of `vigil bench nab`: runs one pipeline (a preset or a detector's default
 * pipeline) over whole files, a fresh instance per
 * file, scoring every point before learning from it. The main thread sends one file at a time
 * and gets back its scores, so the work spreads over the workers as they come free.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DetectorHints } from '../../core/detectors/detector.ts';
import { builtinDetectors } from '../../core/detectors/index.ts';
import type { Pipeline } from '../../core/pipeline/pipeline.ts';
import { pipelinesOf } from '../../core/pipeline/pipelines.ts';

export interface NabWorkerSetup {
  /** Marks the thread as a NAB bench worker (tests may run inside other worker threads). */
  nabBenchWorker: true;
  detector: string;
}

export interface NabFileTask {
  index: number;
  ts: Float64Array;
  values: Float64Array;
  hints: DetectorHints;
}

export type NabFileOutcome =
  | { index: number; ok: true; scores: Float64Array<ArrayBuffer>; stateBytes: number }
  | { index: number; ok: false; error: string };

/** Scores a series with a fresh detector; also returns the JSON size of its final snapshot. */
export function runSeries(
  create: (hints: DetectorHints) => Pipeline,
  ts: Float64Array,
  values: Float64Array,
  hints: DetectorHints,
): { scores: Float64Array<ArrayBuffer>; stateBytes: number } {
  const detector = create(hints);
  const scores = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    scores[i] = detector.step(ts[i]!, values[i]!).score;
  }
  return { scores, stateBytes: JSON.stringify(detector.snapshot()).length };
}

const setup = workerData as Partial<NabWorkerSetup> | null;
if (parentPort !== null && setup?.nabBenchWorker === true && setup.detector !== undefined) {
  const port = parentPort;
  const detector = setup.detector;
  const pipelines = pipelinesOf(builtinDetectors());
  const create = (hints: DetectorHints) => pipelines.createNamed(detector, hints);
  port.on('message', (task: NabFileTask) => {
    let outcome: NabFileOutcome;
    try {
      outcome = { index: task.index, ok: true, ...runSeries(create, task.ts, task.values, task.hints) };
    } catch (err) {
      outcome = {
        index: task.index,
        ok: false,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      };
    }
    port.postMessage(outcome, outcome.ok ? [outcome.scores.buffer] : []);
  });
}
