/**
 * `likelihood`: the HTM anomaly-likelihood calibration (scoring/likelihood.ts), as NAB's numenta
 * detector post-processes its raw scores: the raw score as surprise in decades of p-value, then
 * how unlikely its recent average is, then NAB's log scale, and 1 on a value beyond all earlier
 * ones by `spatialTolerance` of their range (NAB's "spatial anomaly" rule; 0 disables).
 *
 * Under NAB rules (hints.probationaryLength = P) it warms up over L = ⌊P/2⌋, E = P − L.
 */
import Type from 'typebox';
import type { DetectorHints } from '../../detectors/detector.ts';
import type { Score } from '../../point.ts';
import {
  AnomalyLikelihood,
  type LikelihoodData,
  likelihoodPeriods,
  logLikelihood,
} from '../../scoring/likelihood.ts';
import { type Calibrator, type CalibratorKind, surprise } from '../calibrator.ts';
import type { StageState } from '../stage.ts';

export const LikelihoodCalibrationParams = Type.Object(
  {
    learningPeriod: Type.Integer({
      minimum: 0,
      default: 300,
      description: 'L: early records left out of estimates',
    }),
    estimationSamples: Type.Integer({
      minimum: 0,
      default: 300,
      description: 'E: records after L before likelihoods start (the first L + E score 0.5)',
    }),
    historicWindowSize: Type.Integer({
      minimum: 1,
      default: 8640,
      description: 'records kept for re-estimation',
    }),
    reestimationPeriod: Type.Integer({
      minimum: 1,
      default: 100,
      description: 're-estimate every this many records',
    }),
    averagingWindow: Type.Integer({
      minimum: 1,
      default: 10,
      description: 'raw scores averaged over this many',
    }),
    surpriseDecades: Type.Number({
      minimum: 0,
      default: 6,
      description: 'raw = −log10(1 − score) / this, capped at 1; 0 feeds scores as they are',
    }),
    logScale: Type.Boolean({ default: true, description: "output NAB's log transform of the likelihood" }),
    spatialTolerance: Type.Number({
      minimum: 0,
      default: 0.05,
      description: 'score 1 beyond earlier min/max by this fraction of their range; 0 disables',
    }),
    compactHistory: Type.Boolean({
      default: false,
      description:
        'keep raw scores at 16 bits and values as moments of blocks of 20 (≤ 33 KB of state at 8640 records instead of ≤ 432 KB); false reproduces NuPIC exactly',
    }),
  },
  { additionalProperties: false },
);
export interface LikelihoodCalibrationParams {
  learningPeriod: number;
  estimationSamples: number;
  historicWindowSize: number;
  reestimationPeriod: number;
  averagingWindow: number;
  surpriseDecades: number;
  logScale: boolean;
  spatialTolerance: number;
  compactHistory: boolean;
}

export interface LikelihoodCalibrationData {
  likelihood: LikelihoodData;
  /** [min, max] of the values so far; absent before the first. */
  range?: [number, number];
}

export class LikelihoodCalibrator implements Calibrator {
  readonly #p: LikelihoodCalibrationParams;
  readonly #lik: AnomalyLikelihood;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  constructor(p: LikelihoodCalibrationParams, hints?: DetectorHints, data?: LikelihoodCalibrationData) {
    this.#p = p;
    const { learningPeriod, estimationSamples } = likelihoodPeriods(p, hints?.probationaryLength);
    this.#lik = new AnomalyLikelihood(
      {
        learningPeriod,
        estimationSamples,
        historicWindowSize: p.historicWindowSize,
        reestimationPeriod: p.reestimationPeriod,
        averagingWindow: p.averagingWindow,
        compactHistory: p.compactHistory,
      },
      data?.likelihood,
    );
    if (data?.range !== undefined) [this.#min, this.#max] = data.range;
  }

  score(value: number, raw: Score): number {
    return this.#finish(value, this.#lik.probe(value, surprise(raw.score, this.#p.surpriseDecades)));
  }

  step(value: number, raw: Score): number {
    const s = this.#finish(value, this.#lik.update(value, surprise(raw.score, this.#p.surpriseDecades)));
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    return s;
  }

  toJSON(): LikelihoodCalibrationData {
    const data: LikelihoodCalibrationData = { likelihood: this.#lik.snapshot() };
    if (this.#max >= this.#min) data.range = [this.#min, this.#max];
    return data;
  }

  snapshot(): StageState {
    return { stage: 'likelihood', version: 1, data: this.toJSON() };
  }

  #finish(value: number, likelihood: number): number {
    let s = this.#p.logScale ? logLikelihood(likelihood) : likelihood;
    const tol = this.#p.spatialTolerance;
    if (tol > 0 && this.#max > this.#min) {
      const margin = tol * (this.#max - this.#min);
      if (value > this.#max + margin || value < this.#min - margin) s = 1;
    }
    return s < 0 ? 0 : Math.min(s, 1);
  }
}

export const LIKELIHOOD_CALIBRATION_DEFAULTS: LikelihoodCalibrationParams = {
  learningPeriod: 300,
  estimationSamples: 300,
  historicWindowSize: 8640,
  reestimationPeriod: 100,
  averagingWindow: 10,
  surpriseDecades: 6,
  logScale: true,
  spatialTolerance: 0.05,
  compactHistory: false,
};

export const likelihoodCalibration: CalibratorKind<LikelihoodCalibrationParams> = {
  name: 'likelihood',
  version: 1,
  description:
    "HTM anomaly likelihood (NAB's numenta post-processing): how unlikely the recent average surprise is, log-scaled; 1 on a new extreme.",
  params: LikelihoodCalibrationParams,
  defaults: LIKELIHOOD_CALIBRATION_DEFAULTS,
  // 8640 (value, raw) pairs at ≤ 25 bytes each, plus the averaging window and counters.
  maxStateBytes: 2 * LIKELIHOOD_CALIBRATION_DEFAULTS.historicWindowSize * 25 + 1024,
  create(params, ctx, state) {
    return new LikelihoodCalibrator(params, ctx.hints, state?.data as LikelihoodCalibrationData | undefined);
  },
};
