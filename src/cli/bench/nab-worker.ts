/**
 * Worker thread of `vigil bench nab`: runs one pipeline (a preset or a detector's default
 * pipeline) over whole files, a fresh instance per file, scoring every point before learning
 * from it; with feedback, a simulated operator labels what it reports. The main thread sends one file at a time
 * and gets back its scores, so the work spreads over the workers as they come free.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { defaultFeedbackDelay, runWithFeedback } from '../../core/bench/nab/feedback-operator.ts';
import type { LabelWindow } from '../../core/bench/nab/window.ts';
import type { DetectorHints } from '../../core/detectors/detector.ts';
import { builtinDetectors } from '../../core/detectors/index.ts';
import type { Pipeline } from '../../core/pipeline/pipeline.ts';
import { pipelinesOf } from '../../core/pipeline/pipelines.ts';

export interface NabWorkerSetup {
  /** Marks the thread as a NAB bench worker (tests may run inside other worker threads). */
  nabBenchWorker: true;
  detector: string;
  /** Feed the simulated operator's labels back (core/bench/nab/feedback-operator.ts). */
  feedback: boolean;
  /** The operator's delay in points; one label window of the file when absent. */
  feedbackDelay?: number;
}

export interface NabFileTask {
  index: number;
  ts: Float64Array;
  values: Float64Array;
  hints: DetectorHints;
  windows: readonly LabelWindow[];
}

/** Labels the simulated operator gave, by kind (zero without feedback). */
export interface OperatorLabels {
  anomaly: number;
  not_anomaly: number;
}

export type NabFileOutcome =
  | {
      index: number;
      ok: true;
      scores: Float64Array<ArrayBuffer>;
      stateBytes: number;
      labels: OperatorLabels;
    }
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

const NO_LABELS: OperatorLabels = { anomaly: 0, not_anomaly: 0 };
const setup = workerData as Partial<NabWorkerSetup> | null;
if (parentPort !== null && setup?.nabBenchWorker === true && setup.detector !== undefined) {
  const port = parentPort;
  const detector = setup.detector;
  const pipelines = pipelinesOf(builtinDetectors());
  const create = (hints: DetectorHints) => pipelines.createNamed(detector, hints);
  const run = (task: NabFileTask) => {
    if (!setup.feedback) return { ...runSeries(create, task.ts, task.values, task.hints), labels: NO_LABELS };
    const pipeline = create(task.hints);
    const delay = setup.feedbackDelay ?? defaultFeedbackDelay(task.values.length, task.windows);
    const r = runWithFeedback(pipeline, task.ts, task.values, task.windows, delay);
    const stateBytes = JSON.stringify(pipeline.snapshot()).length;
    return { scores: r.scores, stateBytes, labels: { anomaly: r.confirmed, not_anomaly: r.rejected } };
  };
  port.on('message', (task: NabFileTask) => {
    let outcome: NabFileOutcome;
    try {
      outcome = { index: task.index, ok: true, ...run(task) };
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
