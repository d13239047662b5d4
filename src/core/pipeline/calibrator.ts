/**
 * The calibration stage: turns a detector's raw score into a comparable alarm value in [0, 1], so
 * that one threshold means the same thing whatever the detector. Score-then-learn like a
 * detector: `score` judges a point with the state so far and MUST NOT change it; `step` judges and
 * then learns, and MUST return what `score` would have.
 */
import type { Score } from '../point.ts';
import type { StageKind, StageState } from './stage.ts';

export interface Calibrator {
  /** The calibrated score of `raw` (the detector's score of the point `value`); no state change. */
  score(value: number, raw: Score): number;
  /** `score`, then learns the point. */
  step(value: number, raw: Score): number;
  snapshot(): StageState;
}

export type CalibratorKind<P = Record<string, unknown>> = StageKind<P, Calibrator>;

/** `s` clamped into [0, 1]; NaN → 0. */
export function clamp01(s: number): number {
  return s > 0 ? Math.min(s, 1) : 0;
}

/**
 * HTM's raw score is 0 on predictable input and 1 on a surprise; confidence-style scores
 * (1 − p-value) sit near 0.5 on normal points instead, and a 10-point average dilutes one surprise
 * among them. Surprise in decades of p-value restores HTM's shape: 1 at p ≤ 10^−decades.
 * `decades` = 0 passes the score through.
 */
export function surprise(score: number, decades: number): number {
  const s = clamp01(score);
  if (decades === 0) return s;
  return Math.min(-Math.log10(1 - s) / decades, 1);
}
