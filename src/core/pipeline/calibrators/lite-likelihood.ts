/**
 * `lite-likelihood`: the `likelihood` calibration made cheap for the `fast` preset: the same
 * surprise and NAB log scale, with the distribution of the averaged surprise tracked by running
 * moments (scoring/lite-likelihood.ts) instead of re-estimated from 8640 stored records, and 1 on
 * a new extreme (scoring/new-extreme.ts). A non-finite value scores 0 and is not learnt.
 *
 * Under NAB rules (hints.probationaryLength = P) it warms up over L = ⌊P/2⌋, E = P − L.
 */
import Type from 'typebox';
import { tame } from '../../math/finite.ts';
import type { Score } from '../../point.ts';
import { likelihoodPeriods, logLikelihood } from '../../scoring/likelihood.ts';
import {
  LiteLikelihood,
  type LiteLikelihoodData,
  type LiteLikelihoodSettings,
} from '../../scoring/lite-likelihood.ts';
import type { ExtremeData } from '../../scoring/new-extreme.ts';
import { type Calibrator, type CalibratorKind, clamp01, surprise } from '../calibrator.ts';
import type { StageState } from '../stage.ts';

export const LiteLikelihoodParams = Type.Object(
  {
    surpriseDecades: Type.Number({
      exclusiveMinimum: 0,
      default: 6,
      description: 'raw = −log10(1 − score) / this, capped at 1',
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
  },
  { additionalProperties: false },
);
export interface LiteLikelihoodParams {
  surpriseDecades: number;
  learningPeriod: number;
  estimationSamples: number;
  averagingWindow: number;
  horizon: number;
  extremeTolerance: number;
}

interface LiteData {
  likelihood: LiteLikelihoodData;
  extreme: ExtremeData;
}

/**
 * The likelihood and its new-extreme rule are one object with one array of state (the base
 * class): per point the calibration reads both, and with thousands of series every separate
 * object (the rule's own, its boxed bounds) was another cache miss on the engine thread.
 */
class LiteLikelihoodCalibrator extends LiteLikelihood implements Calibrator {
  readonly #p: LiteLikelihoodParams;

  constructor(p: LiteLikelihoodParams, settings: LiteLikelihoodSettings, data?: LiteData) {
    super(settings, data?.likelihood, data?.extreme ?? null);
    this.#p = p;
  }

  score(value: number, raw: Score): number {
    if (!Number.isFinite(value)) return 0;
    return this.#calibrated(value, this.probe(surprise(raw.score, this.#p.surpriseDecades)));
  }

  step(value: number, raw: Score): number {
    const s = Number.isFinite(value)
      ? this.#calibrated(value, this.update(tame(value), surprise(raw.score, this.#p.surpriseDecades)))
      : 0;
    this.extremeObserve(value);
    return s;
  }

  snapshot(): StageState {
    const data: LiteData = { likelihood: this.toJSON(), extreme: this.extremeJSON() };
    return { stage: 'lite-likelihood', version: 1, data };
  }

  #calibrated(value: number, likelihood: number): number {
    if (this.extremeTest(value, this.#p.extremeTolerance)) return 1;
    return clamp01(logLikelihood(likelihood));
  }
}

/** Settings by params object and probationary length, shared by every series built from them. */
const settings = new WeakMap<LiteLikelihoodParams, Map<number | undefined, LiteLikelihoodSettings>>();

function settingsOf(
  params: LiteLikelihoodParams,
  probationaryLength: number | undefined,
): LiteLikelihoodSettings {
  let byProbation = settings.get(params);
  if (byProbation === undefined) {
    byProbation = new Map();
    settings.set(params, byProbation);
  }
  let s = byProbation.get(probationaryLength);
  if (s === undefined) {
    const { learningPeriod, estimationSamples } = likelihoodPeriods(params, probationaryLength);
    s = {
      learningPeriod,
      estimationSamples,
      averagingWindow: params.averagingWindow,
      horizon: params.horizon,
    };
    byProbation.set(probationaryLength, s);
  }
  return s;
}

const DEFAULTS: LiteLikelihoodParams = {
  surpriseDecades: 6,
  learningPeriod: 300,
  estimationSamples: 300,
  averagingWindow: 10,
  horizon: 4000,
  extremeTolerance: 0.05,
};

export const liteLikelihoodCalibration: CalibratorKind<LiteLikelihoodParams> = {
  name: 'lite-likelihood',
  version: 1,
  description:
    'The likelihood calibration with bounded state: running moments of the averaged surprise instead of 8640 stored records; 1 on a new extreme.',
  params: LiteLikelihoodParams,
  defaults: DEFAULTS,
  // The averaging window (≤ 25 chars a number) and a dozen scalars.
  maxStateBytes: 25 * DEFAULTS.averagingWindow + 1024,
  create(params, ctx, state) {
    const data = state?.data as LiteData | undefined;
    return new LiteLikelihoodCalibrator(params, settingsOf(params, ctx.hints?.probationaryLength), data);
  },
};
