/**
 * The simulated operator of `vigil bench nab --feedback`: it labels each anomaly the pipeline
 * reports (a run of points flagged at the pipeline's threshold) from the ground truth, `anomaly`
 * when the run starts inside a label window and `not_anomaly` otherwise, and hands the label to
 * the running pipeline `delay` points after the run started. The operator never knows a label
 * before then, and the pipeline learns it only through its feedback stage.
 */
import { type FeedbackExample, type FeedbackLabel, isNormal } from '../../feedback/label.ts';
import type { Pipeline } from '../../pipeline/pipeline.ts';
import type { LabelWindow } from './window.ts';
import { WINDOW_FRACTION } from './window.ts';

export interface FeedbackRun {
  scores: Float64Array<ArrayBuffer>;
  /** Labels given, by kind. */
  confirmed: number;
  rejected: number;
}

/** The default delay: one label window's length in the file (NAB's rule; one window if it has none). */
export function defaultFeedbackDelay(length: number, windows: readonly LabelWindow[]): number {
  return Math.max(1, Math.trunc((WINDOW_FRACTION * length) / Math.max(windows.length, 1)));
}

interface Run {
  startRow: number;
  example: FeedbackExample;
}

/** Scores a file through `pipeline`, step by step, feeding the operator's labels back. */
export function runWithFeedback(
  pipeline: Pipeline,
  ts: Float64Array,
  values: Float64Array,
  windows: readonly LabelWindow[],
  delay: number,
): FeedbackRun {
  const scores = new Float64Array(values.length);
  const examples: FeedbackExample[] = [];
  const pending: Run[] = [];
  let open: Run | null = null;
  let confirmed = 0;
  let rejected = 0;
  for (let i = 0; i < values.length; i++) {
    let learnt = false;
    while (pending.length > 0 && pending[0]!.startRow + delay <= i) {
      const run = pending.shift()!;
      examples.push(run.example);
      if (isNormal(run.example.label)) rejected++;
      else confirmed++;
      learnt = true;
    }
    if (learnt) pipeline.feedback(examples);
    const p = pipeline.step(ts[i]!, values[i]!);
    scores[i] = p.score;
    if (!p.anomalous) {
      open = null;
      continue;
    }
    if (open === null) {
      const label: FeedbackLabel = inside(windows, i) ? 'anomaly' : 'not_anomaly';
      open = {
        startRow: i,
        example: {
          id: String(i),
          label,
          start: p.ts,
          peakValue: p.value,
          peakExpected: p.expected,
          peakScore: p.score,
        },
      };
      pending.push(open);
    } else if (p.score > open.example.peakScore) {
      open.example.peakValue = p.value;
      open.example.peakExpected = p.expected;
      open.example.peakScore = p.score;
    }
  }
  return { scores, confirmed, rejected };
}

function inside(windows: readonly LabelWindow[], row: number): boolean {
  return windows.some((w) => w.start <= row && row <= w.end);
}
