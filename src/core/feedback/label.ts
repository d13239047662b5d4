/**
 * Feedback: a person's label on an anomaly, and the part of it a series' pipeline learns from.
 * `not_anomaly` (a false alarm) and `expected` (real, but normal for this series, e.g. a planned
 * batch job) both teach the pipeline that such deviations are normal; `anomaly` confirms one.
 */
export const FEEDBACK_LABELS = ['anomaly', 'not_anomaly', 'expected'] as const;
export type FeedbackLabel = (typeof FEEDBACK_LABELS)[number];

/** A label as the pipeline's feedback stage learns it: the labelled anomaly's peak. */
export interface FeedbackExample {
  /** The feedback's id: the stage forgets the example by it. */
  id: string;
  label: FeedbackLabel;
  /** The anomaly's start (its id is `<seriesId>-<start>`). */
  start: number;
  peakValue: number;
  /** NaN where the detector has no expected value (JSON null in snapshots). */
  peakExpected: number;
  peakScore: number;
}

/** Whether a label teaches "this is normal here". */
export function isNormal(label: FeedbackLabel): boolean {
  return label !== 'anomaly';
}
