/**
 * `fast`: the light preset, for when `vigil` (the default) is too heavy: ≥ 200,000 points/s on one
 * thread and a few KB of state per series. The `likelihood` pipeline made cheap:
 *
 * raw score of an ensemble (windowed Gaussian + relative entropy by default, weighted max) →
 * surprise in decades of p-value, −log10(1 − s)/`surpriseDecades` → bounded-state anomaly
 * likelihood (lite-likelihood.ts) → NAB's log scale → 1 on a new extreme (`extremeTolerance`,
 * NAB's HTM rule) → soft refractory (vigil/soft-refractory.ts). Band: the ensemble's.
 *
 * Under NAB rules (hints.probationaryLength = P) the likelihood warms up over L = ⌊P/2⌋, E = P − L.
 */
import Type from 'typebox';
import { tame } from '../../math/finite.ts';
import type { Score } from '../../point.ts';
import { likelihoodPeriods, logLikelihood } from '../../scoring/likelihood.ts';
import {
  type Detector,
  type DetectorFactory,
  type DetectorHints,
  type DetectorState,
  stepOf,
} from '../detector.ts';
import type { EnsembleMember } from '../ensemble/ensemble.ts';
import { type DetectorSource, stateBoundOf } from '../source.ts';
import { type ExtremeData, NewExtreme } from '../vigil/new-extreme.ts';
import { SoftRefractory } from '../vigil/soft-refractory.ts';
import { LiteLikelihood, type LiteLikelihoodData } from './lite-likelihood.ts';

const DEFAULT_MEMBERS: EnsembleMember[] = [{ name: 'windowed-gaussian' }, { name: 'relative-entropy' }];

export const FastParams = Type.Object(
  {
    detectors: Type.Array(
      Type.Object(
        {
          name: Type.String(),
          params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          weight: Type.Optional(Type.Number({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, default: DEFAULT_MEMBERS, description: 'ensemble members (weighted max)' },
    ),
    surpriseDecades: Type.Number({
      exclusiveMinimum: 0,
      default: 6,
      description: 'raw = −log10(1 − ensemble score) / this, capped at 1',
    }),
    learningPeriod: Type.Integer({
      minimum: 0,
      default: 300,
      description: 'L: records before moments are learnt',
    }),
    estimationSamples: Type.Integer({
      minimum: 0,
      default: 300,
      description: 'E: records after L before likelihoods start',
    }),
    averagingWindow: Type.Integer({
      minimum: 1,
      default: 10,
      description: 'raw scores averaged over this many',
    }),
    horizon: Type.Integer({
      minimum: 1,
      default: 4000,
      description: 'records the running moments of the averaged raw score weigh about equally',
    }),
    extremeTolerance: Type.Number({
      minimum: 0,
      default: 0.05,
      description: 'score 1 beyond all earlier values by this fraction of their range',
    }),
    refractoryLevel: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.5,
      description: 'a score above this starts a refractory period',
    }),
    refractoryTau: Type.Number({
      minimum: 0,
      default: 30,
      description: 'refractory time constant in points; 0 disables',
    }),
  },
  { additionalProperties: false },
);
export interface FastParams {
  detectors: EnsembleMember[];
  surpriseDecades: number;
  learningPeriod: number;
  estimationSamples: number;
  averagingWindow: number;
  horizon: number;
  extremeTolerance: number;
  refractoryLevel: number;
  refractoryTau: number;
}

interface FastData {
  inner: DetectorState;
  likelihood: LiteLikelihoodData;
  extreme: ExtremeData;
  since: number | null;
}

interface Pending {
  ts: number;
  value: number;
  inner: Score;
  raw: number;
  score: Score;
}

export class FastDetector implements Detector {
  readonly #p: FastParams;
  readonly #inner: Detector;
  readonly #lik: LiteLikelihood;
  readonly #extreme: NewExtreme;
  readonly #refractory: SoftRefractory;
  #pending: Pending | undefined;

  constructor(p: FastParams, inner: Detector, hints?: DetectorHints, data?: FastData) {
    this.#p = p;
    this.#inner = inner;
    const { learningPeriod, estimationSamples } = likelihoodPeriods(p, hints?.probationaryLength);
    this.#lik = new LiteLikelihood(
      { learningPeriod, estimationSamples, averagingWindow: p.averagingWindow, horizon: p.horizon },
      data?.likelihood,
    );
    this.#extreme = new NewExtreme(p.extremeTolerance, data?.extreme ?? null);
    this.#refractory = new SoftRefractory(p.refractoryLevel, p.refractoryTau, data?.since ?? null);
  }

  score(ts: number, value: number): Score {
    const pend = this.#pending;
    if (pend !== undefined && pend.ts === ts && Object.is(pend.value, value)) return pend.score;
    const inner = this.#inner.score(ts, value);
    const raw = this.#calibrated(value, this.#lik.probe(this.#surprise(inner)));
    const score = out(this.#refractory.damp(raw), inner);
    this.#pending = { ts, value, inner, raw, score };
    return score;
  }

  update(ts: number, value: number): void {
    const pend = this.#pending;
    this.#pending = undefined;
    if (pend !== undefined && pend.ts === ts && Object.is(pend.value, value)) {
      this.#inner.update(ts, value);
      this.#commit(value, pend.inner);
    } else {
      this.step(ts, value);
    }
  }

  step(ts: number, value: number): Score {
    const pend = this.#pending;
    if (pend !== undefined && pend.ts === ts && Object.is(pend.value, value)) {
      this.update(ts, value);
      return pend.score;
    }
    this.#pending = undefined;
    return this.#commit(value, stepOf(this.#inner, ts, value));
  }

  snapshot(): DetectorState {
    const data: FastData = {
      inner: this.#inner.snapshot(),
      likelihood: this.#lik.toJSON(),
      extreme: this.#extreme.toJSON(),
      since: this.#refractory.toJSON(),
    };
    return { detector: 'fast', version: 1, data };
  }

  #commit(value: number, inner: Score): Score {
    const finite = Number.isFinite(value);
    // A non-finite value has no place in the moments or the extremes; it scores 0 and is skipped.
    const raw = finite ? this.#calibrated(value, this.#lik.update(tame(value), this.#surprise(inner))) : 0;
    const score = out(this.#refractory.damp(raw), inner);
    this.#extreme.observe(value);
    this.#refractory.observe(raw);
    return score;
  }

  /** HTM-shaped raw score: surprise in decades of p-value, 1 at p ≤ 10^−surpriseDecades. */
  #surprise(inner: Score): number {
    const s = inner.score > 0 ? Math.min(inner.score, 1) : 0;
    return Math.min(-Math.log10(1 - s) / this.#p.surpriseDecades, 1);
  }

  /** Log-scaled likelihood, overridden to 1 on a new extreme. */
  #calibrated(value: number, likelihood: number): number {
    if (!Number.isFinite(value)) return 0;
    if (this.#extreme.test(value)) return 1;
    const s = logLikelihood(likelihood);
    return s > 0 ? Math.min(s, 1) : 0;
  }
}

function out(score: number, inner: Score): Score {
  return {
    score: score > 0 ? Math.min(score, 1) : 0,
    expected: inner.expected,
    lower: inner.lower,
    upper: inner.upper,
  };
}

const DEFAULTS: FastParams = {
  detectors: DEFAULT_MEMBERS,
  surpriseDecades: 6,
  learningPeriod: 300,
  estimationSamples: 300,
  averagingWindow: 10,
  horizon: 4000,
  extremeTolerance: 0.05,
  refractoryLevel: 0.5,
  refractoryTau: 30,
};

/** The `fast` factory; `source` builds the ensemble (and its members) by name (the registry). */
export function fastDetector(source: DetectorSource): DetectorFactory<FastParams> {
  return {
    name: 'fast',
    version: 1,
    // NAB standard-profile optimum: 0.49 (nab mode), 0.50 (strict); bench/results/nab-fast-*.json.
    threshold: 0.5,
    description:
      'Light preset: windowed-Gaussian + relative-entropy ensemble, bounded anomaly likelihood, new extremes, soft refractory.',
    params: FastParams,
    defaults: DEFAULTS,
    // The members' bounds plus the ensemble envelope (read late: members may register later),
    // the averaging window (≤ 25 chars a number) and a dozen scalars.
    get maxStateBytes() {
      const members = DEFAULTS.detectors.reduce((sum, m) => sum + stateBoundOf(source, m.name) + 16, 64);
      return members + 25 * DEFAULTS.averagingWindow + 1024;
    },
    create(params, state, hints) {
      const data = state?.data as FastData | undefined;
      const inner = source.create(
        'ensemble',
        { detectors: params.detectors, combine: 'max' },
        data?.inner,
        hints,
      );
      return new FastDetector(params, inner, hints, data);
    },
  };
}
