/**
 * `likelihood`: any registered detector followed by the HTM anomaly-likelihood calibration
 * (scoring/likelihood.ts), so its raw scores become comparable alarm values. The inner detector
 * is built by name through a DetectorSource handed to `likelihoodDetector(source)`, which is how
 * the registry passes itself in without this module importing it.
 *
 * Score: NAB's log transform of the likelihood (or the likelihood itself), optionally overridden
 * to 1 by NAB's "spatial anomaly" rule: a value beyond all earlier values by more than
 * `spatialTolerance` × their range. The band is the inner detector's.
 *
 * Under NAB rules (hints.probationaryLength = P) the likelihood uses L = ⌊P/2⌋, E = P − L.
 */
import Type from 'typebox';
import type { Score } from '../../point.ts';
import {
  AnomalyLikelihood,
  type LikelihoodData,
  likelihoodPeriods,
  logLikelihood,
} from '../../scoring/likelihood.ts';
import {
  type Detector,
  type DetectorFactory,
  type DetectorHints,
  type DetectorState,
  stepOf,
} from '../detector.ts';
import { type DetectorSource, stateBoundOf } from '../source.ts';

export const LikelihoodParams = Type.Object(
  {
    inner: Type.String({
      default: 'ensemble',
      description: 'name of the detector whose raw score is calibrated',
    }),
    innerParams: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: "the inner detector's params, merged over its defaults",
    }),
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
      description: 'raw = −log10(1 − inner score) / this, capped at 1; 0 feeds inner scores as they are',
    }),
    logScale: Type.Boolean({ default: true, description: "output NAB's log transform of the likelihood" }),
    spatialTolerance: Type.Number({
      minimum: 0,
      default: 0,
      description:
        'score 1 beyond earlier min/max by this fraction of their range; 0 disables (NAB HTM: 0.05)',
    }),
  },
  { additionalProperties: false },
);
export interface LikelihoodParams {
  inner: string;
  innerParams: Record<string, unknown>;
  learningPeriod: number;
  estimationSamples: number;
  historicWindowSize: number;
  reestimationPeriod: number;
  averagingWindow: number;
  surpriseDecades: number;
  logScale: boolean;
  spatialTolerance: number;
}

interface LikelihoodDetectorData {
  inner: DetectorState;
  likelihood: LikelihoodData;
  /** [min, max] of the values so far; absent before the first. */
  range?: [number, number];
}

interface Pending {
  ts: number;
  value: number;
  inner: Score;
  score: Score;
}

export class LikelihoodDetector implements Detector {
  readonly #p: LikelihoodParams;
  readonly #inner: Detector;
  readonly #lik: AnomalyLikelihood;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  #pending: Pending | undefined;

  constructor(p: LikelihoodParams, inner: Detector, hints?: DetectorHints, data?: LikelihoodDetectorData) {
    this.#p = p;
    this.#inner = inner;
    const { learningPeriod, estimationSamples } = likelihoodPeriods(p, hints?.probationaryLength);
    this.#lik = new AnomalyLikelihood(
      {
        learningPeriod,
        estimationSamples,
        historicWindowSize: p.historicWindowSize,
        reestimationPeriod: p.reestimationPeriod,
        averagingWindow: p.averagingWindow,
      },
      data?.likelihood,
    );
    if (data?.range !== undefined) [this.#min, this.#max] = data.range;
  }

  score(ts: number, value: number): Score {
    const pend = this.#pending;
    if (pend !== undefined && pend.ts === ts && Object.is(pend.value, value)) return pend.score;
    const inner = this.#inner.score(ts, value);
    const score = this.#finish(value, inner, this.#lik.probe(value, this.#raw(inner)));
    this.#pending = { ts, value, inner, score };
    return score;
  }

  update(ts: number, value: number): void {
    const pend = this.#pending;
    const inner =
      pend !== undefined && pend.ts === ts && Object.is(pend.value, value)
        ? pend.inner
        : this.#inner.score(ts, value);
    this.#pending = undefined;
    this.#inner.update(ts, value);
    this.#commit(value, inner);
  }

  step(ts: number, value: number): Score {
    const pend = this.#pending;
    if (pend !== undefined && pend.ts === ts && Object.is(pend.value, value)) {
      this.update(ts, value);
      return pend.score;
    }
    this.#pending = undefined;
    const inner = stepOf(this.#inner, ts, value);
    return this.#commit(value, inner);
  }

  #commit(value: number, inner: Score): Score {
    const score = this.#finish(value, inner, this.#lik.update(value, this.#raw(inner)));
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    return score;
  }

  /**
   * The raw score the likelihood averages. HTM's raw score is 0 on predictable input and 1 on a
   * surprise; confidence-style scores (1 − p-value) sit near 0.5 on normal points instead, and a
   * 10-point average dilutes one surprise among them. Measuring surprise in decades of p-value
   * restores HTM's shape: ~0.07 on average for normal points, 1 at p ≤ 10^−surpriseDecades.
   */
  #raw(inner: Score): number {
    const s = inner.score > 0 ? Math.min(inner.score, 1) : 0;
    const d = this.#p.surpriseDecades;
    if (d === 0) return s;
    const r = -Math.log10(1 - s) / d;
    return Math.min(r, 1);
  }

  #finish(value: number, inner: Score, likelihood: number): Score {
    let s = this.#p.logScale ? logLikelihood(likelihood) : likelihood;
    const tol = this.#p.spatialTolerance;
    if (tol > 0 && this.#max > this.#min) {
      const margin = tol * (this.#max - this.#min);
      if (value > this.#max + margin || value < this.#min - margin) s = 1;
    }
    return {
      score: s < 0 ? 0 : Math.min(s, 1),
      expected: inner.expected,
      lower: inner.lower,
      upper: inner.upper,
    };
  }

  snapshot(): DetectorState {
    const data: LikelihoodDetectorData = { inner: this.#inner.snapshot(), likelihood: this.#lik.snapshot() };
    if (this.#max >= this.#min) data.range = [this.#min, this.#max];
    return { detector: 'likelihood', version: 1, data };
  }
}

const DEFAULTS: LikelihoodParams = {
  inner: 'ensemble',
  innerParams: {},
  learningPeriod: 300,
  estimationSamples: 300,
  historicWindowSize: 8640,
  reestimationPeriod: 100,
  averagingWindow: 10,
  surpriseDecades: 6,
  logScale: true,
  spatialTolerance: 0.05,
};

/** The `likelihood` factory; `source` builds inner detectors by name (the registry). */
export function likelihoodDetector(source: DetectorSource): DetectorFactory<LikelihoodParams> {
  return {
    name: 'likelihood',
    version: 1,
    description:
      'Any detector followed by the HTM anomaly-likelihood calibration (NAB numenta post-processing).',
    params: LikelihoodParams,
    defaults: DEFAULTS,
    // 8640 (value, raw) pairs at ≤ 25 bytes each, plus the inner state's bound (read late: the
    // inner may register after this factory).
    get maxStateBytes() {
      return 2 * DEFAULTS.historicWindowSize * 25 + 1024 + stateBoundOf(source, DEFAULTS.inner);
    },
    create(params, state, hints) {
      const data = state?.data as LikelihoodDetectorData | undefined;
      const innerName = source.get(params.inner).name;
      if (data !== undefined && data.inner.detector !== innerName) {
        throw new Error(`likelihood inner is ${innerName} but its state is ${data.inner.detector}'s`);
      }
      const inner = source.create(params.inner, params.innerParams, data?.inner, hints);
      return new LikelihoodDetector(params, inner, hints, data);
    },
  };
}
