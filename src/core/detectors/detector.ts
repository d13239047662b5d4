/**
 * The detector contract. A detector is a plain object with no I/O, clock or logger. The engine
 * calls `score` before `update` for every point (score-then-learn), so a point never trains the
 * model that judges it. `step` is an optional fused form that MUST equal score-then-update.
 */
import type { TSchema } from 'typebox';
import type { Score } from '../point.ts';

/** JSON-serialisable detector state, tagged with the detector's name and version. */
export interface DetectorState {
  detector: string;
  version: number;
  data: unknown;
}

export interface Detector {
  score(ts: number, value: number): Score;
  update(ts: number, value: number): void;
  step?(ts: number, value: number): Score;
  snapshot(): DetectorState;
}

/** What the NAB harness may hand a detector beyond the stream (`--mode nab`); empty in production. */
export interface DetectorHints {
  min?: number;
  max?: number;
  probationaryLength?: number;
  seed?: number;
}

/** Threshold for detectors that recommend none: a two-sided 3.5-sigma tail (erf(3.5/√2) ≈ 0.99953). */
export const DEFAULT_THRESHOLD = 0.9995;

/**
 * The afterglow of a selectable detector's default pipeline: scores held up to 0.5 × the threshold
 * × the decayed maximum of earlier scores (τ: the declaration's default, 100 points), so after an
 * alarm the points of the anomaly rank above ordinary ones; nothing more is flagged. A detector whose strict NAB optimum
 * lies under that ceiling declares a lower level, so the glow stays under the thresholds its
 * benchmark figures are measured at (bench/README.md, "Afterglow").
 */
export const DEFAULT_AFTERGLOW = Object.freeze({ level: 0.5 });

export interface DetectorFactory<P = Record<string, unknown>> {
  readonly name: string;
  readonly version: number;
  readonly description: string;
  /** TypeBox schema of the params; every property has its default declared here. */
  readonly params: TSchema;
  readonly defaults: P;
  /**
   * Recommended anomaly threshold for this detector's raw scores (score ≥ threshold is
   * anomalous), e.g. its standard-profile NAB optimum; the threshold of its default pipeline when
   * that calibrates with `none`. Absent: DEFAULT_THRESHOLD.
   */
  readonly threshold?: number;
  /**
   * The calibration of this detector's default pipeline (core/pipeline): `lite-likelihood` (the
   * HTM likelihood with bounded state) when absent; `none` for a detector whose scores are
   * calibrated alarm values already.
   */
  readonly calibration?: string;
  /**
   * The afterglow of this detector's default pipeline (core/pipeline/declaration.ts): scores kept
   * raised under the threshold after a high one, so the points of an anomaly rank; absent: none.
   */
  readonly afterglow?: { level: number; tau?: number };
  /**
   * Set (to the reason) on a detector that gives no usable score on its own pipeline: presets may
   * build on it, but it is not offered by name to users.
   */
  readonly buildingBlock?: string;
  /** Upper bound on `JSON.stringify(snapshot())` in bytes at default params, however long the stream (conformance-checked; 256 when absent). */
  readonly maxStateBytes?: number;
  create(params: P, state?: DetectorState, hints?: DetectorHints): Detector;
}

/**
 * The one score-and-learn primitive: one point through `d`, score-then-learn. The fused `step`
 * where the detector has one (which the contract requires to be equal), else `score` then
 * `update`: the shared adapter for detectors that only have those two, so no detector keeps a
 * memo of its last score for a following `update`. Every caller that feeds a detector uses it.
 */
export function stepOf(d: Detector, ts: number, value: number): Score {
  if (d.step !== undefined) return d.step(ts, value);
  const s = d.score(ts, value);
  d.update(ts, value);
  return s;
}
