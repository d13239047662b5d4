/**
 * A running pipeline: one series' detector, calibrator, threshold and post-rules, scored
 * score-then-learn as one object. `score` judges a point with the state so far (late points);
 * `step` judges and learns. Its state is one versioned snapshot of every stage, tagged with the
 * declaration's hash so a state is never restored into another pipeline.
 */
import { type Detector, type DetectorState, stepOf } from '../detectors/detector.ts';
import type { FeedbackExample } from '../feedback/label.ts';
import type { Score, ScoredPoint } from '../point.ts';
import type { Calibrator } from './calibrator.ts';
import type { ResolvedPipeline } from './declaration.ts';
import type { PostRule } from './post-rule.ts';
import type { StageState } from './stage.ts';

export const PIPELINE_STATE_VERSION = 1;

export interface PipelineState {
  pipeline: number;
  /** pipelineHash of the declaration the state belongs to. */
  hash: string;
  detector: DetectorState;
  calibration: StageState;
  postRules: StageState[];
  /** The afterglow's decayed maximum of the scores so far (pipelines with an afterglow only). */
  glow?: number;
}

/** A pipeline's afterglow constants, shared by its series: the ceiling and the decay a point. */
export interface Afterglow {
  /** level × threshold: the glow's highest value, under the threshold. */
  readonly ceiling: number;
  /** e^(−1/tau). */
  readonly decay: number;
}

export class Pipeline {
  readonly declaration: ResolvedPipeline;
  readonly hash: string;
  readonly #detector: Detector;
  readonly #calibrator: Calibrator;
  readonly #rules: PostRule[];

  constructor(
    declaration: ResolvedPipeline,
    hash: string,
    detector: Detector,
    calibrator: Calibrator,
    rules: PostRule[],
  ) {
    this.declaration = declaration;
    this.hash = hash;
    this.#detector = detector;
    this.#calibrator = calibrator;
    this.#rules = rules;
  }

  /** The point as the pipeline judges it now; no stage learns. */
  score(ts: number, value: number): ScoredPoint {
    const raw = this.#detector.score(ts, value);
    let p = this.#judge(ts, value, raw, this.#calibrator.score(value, raw));
    for (const r of this.#rules) p = r.score(p);
    return p;
  }

  /** The point judged, then learnt by every stage (score-then-learn). */
  step(ts: number, value: number): ScoredPoint {
    const raw = stepOf(this.#detector, ts, value);
    let p = this.#judge(ts, value, raw, this.#calibrator.step(value, raw));
    for (const r of this.#rules) p = r.step(p);
    return p;
  }

  /**
   * Hands the series' feedback (every label, oldest first) to the stages that learn from it;
   * false when no stage does (the declaration has no feedback stage).
   */
  feedback(examples: readonly FeedbackExample[]): boolean {
    let taken = false;
    for (const r of this.#rules) {
      if (r.feedback === undefined) continue;
      r.feedback(examples);
      taken = true;
    }
    return taken;
  }

  /** The post-rules' states alone (cheap: no detector state), e.g. the labels a feedback stage holds. */
  postRuleStates(): StageState[] {
    return this.#rules.map((r) => r.snapshot());
  }

  snapshot(): PipelineState {
    return {
      pipeline: PIPELINE_STATE_VERSION,
      hash: this.hash,
      detector: this.#detector.snapshot(),
      calibration: this.#calibrator.snapshot(),
      postRules: this.#rules.map((r) => r.snapshot()),
    };
  }

  #judge(ts: number, value: number, raw: Score, calibrated: number): ScoredPoint {
    // A stage bug must not poison storage: a non-finite score counts as "not anomalous".
    const score = Number.isFinite(calibrated) ? Math.min(1, Math.max(0, calibrated)) : 0;
    return {
      ts,
      value,
      score,
      expected: raw.expected,
      lower: raw.lower,
      upper: raw.upper,
      // Read from the shared declaration: a copy here cost each series a field and a 16-byte box.
      anomalous: score >= this.declaration.threshold,
    };
  }
}

/**
 * A pipeline with an afterglow: after its post-rules, every score is at least `ceiling` × the
 * maximum of the earlier scores decayed by `decay` a point. The ceiling is under the threshold, so
 * the glow flags nothing; it ranks the points after a high score above ordinary ones, as an
 * anomaly lasts beyond its first point (point-wise ROC-AUC, issue 15).
 */
export class GlowingPipeline extends Pipeline {
  readonly #afterglow: Afterglow;
  #glow: number;

  constructor(
    declaration: ResolvedPipeline,
    hash: string,
    detector: Detector,
    calibrator: Calibrator,
    rules: PostRule[],
    afterglow: Afterglow,
    glow = 0,
  ) {
    super(declaration, hash, detector, calibrator, rules);
    this.#afterglow = afterglow;
    this.#glow = glow;
  }

  override score(ts: number, value: number): ScoredPoint {
    return this.#lift(super.score(ts, value));
  }

  override step(ts: number, value: number): ScoredPoint {
    const p = super.step(ts, value);
    const out = this.#lift(p);
    this.#glow = Math.max(p.score, this.#glow * this.#afterglow.decay);
    return out;
  }

  override snapshot(): PipelineState {
    return { ...super.snapshot(), glow: this.#glow };
  }

  #lift(p: ScoredPoint): ScoredPoint {
    const g = this.#afterglow.ceiling * this.#glow * this.#afterglow.decay;
    return g > p.score ? { ...p, score: g } : p;
  }
}
