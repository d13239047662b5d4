/**
 * `likelihood`: any registered detector followed by the `likelihood` calibration stage
 * (core/pipeline/calibrators/likelihood.ts), as one detector. A building block: users get the same
 * by declaring a pipeline with that calibration (every detector's default); the `vigil-events`
 * detector uses it as its evidence. The inner detector is built by name through a DetectorSource
 * handed to `likelihoodDetector(source)`, which is how the registry passes itself in without this
 * module importing it. The band is the inner detector's.
 */
import Type from 'typebox';
import {
  LIKELIHOOD_CALIBRATION_DEFAULTS,
  type LikelihoodCalibrationData,
  LikelihoodCalibrationParams,
  LikelihoodCalibrator,
} from '../../pipeline/calibrators/likelihood.ts';
import type { Score } from '../../point.ts';
import { type Detector, type DetectorFactory, type DetectorState, stepOf } from '../detector.ts';
import { type DetectorSource, stateBoundOf } from '../source.ts';
import { base64Length } from '../state-codec.ts';

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
    ...LikelihoodCalibrationParams.properties,
    compactHistory: Type.Boolean({
      default: true,
      description:
        'keep raw scores at 16 bits and values as moments of blocks of 20 (≤ 33 KB of state at 8640 records instead of ≤ 432 KB); false reproduces NuPIC exactly',
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
  compactHistory: boolean;
}

interface LikelihoodDetectorData extends LikelihoodCalibrationData {
  inner: DetectorState;
}

export class LikelihoodDetector implements Detector {
  readonly #inner: Detector;
  readonly #calibrator: LikelihoodCalibrator;

  constructor(inner: Detector, calibrator: LikelihoodCalibrator) {
    this.#inner = inner;
    this.#calibrator = calibrator;
  }

  score(ts: number, value: number): Score {
    const inner = this.#inner.score(ts, value);
    return out(this.#calibrator.score(value, inner), inner);
  }

  update(ts: number, value: number): void {
    this.step(ts, value);
  }

  step(ts: number, value: number): Score {
    const inner = stepOf(this.#inner, ts, value);
    return out(this.#calibrator.step(value, inner), inner);
  }

  snapshot(): DetectorState {
    const data: LikelihoodDetectorData = { inner: this.#inner.snapshot(), ...this.#calibrator.toJSON() };
    return { detector: 'likelihood', version: 2, data };
  }
}

/** Bound on the JSON of a compact likelihood history of `records` records (blocks of 20). */
export function likelihoodStateBytes(records: number): number {
  return base64Length(2 * records) + base64Length(16 * (Math.ceil(records / 20) + 1)) + 1024;
}

function out(score: number, inner: Score): Score {
  return { score, expected: inner.expected, lower: inner.lower, upper: inner.upper };
}

/**
 * As the calibration stage's defaults, but with the compact history: as a detector it is a
 * building block of the default (`vigil-events`' evidence), whose state is bounded.
 */
const DEFAULTS: LikelihoodParams = {
  inner: 'ensemble',
  innerParams: {},
  ...LIKELIHOOD_CALIBRATION_DEFAULTS,
  compactHistory: true,
};

/** The `likelihood` factory; `source` builds inner detectors by name (the registry). */
export function likelihoodDetector(source: DetectorSource): DetectorFactory<LikelihoodParams> {
  return {
    name: 'likelihood',
    // Version 2: the compact history; a version-1 (exact) history is taken over as it is read.
    version: 2,
    description:
      'Any detector followed by the HTM anomaly-likelihood calibration (NAB numenta post-processing), as one detector.',
    calibration: 'none',
    buildingBlock: 'the likelihood calibration stage does the same in any pipeline',
    params: LikelihoodParams,
    defaults: DEFAULTS,
    // The compact history (scoring/likelihood.ts): 8640 raw scores at 2 bytes and the moments of
    // 433 blocks at 16, both in base64, ~1 KB of averages and counters, plus the inner state's
    // bound (read late: the inner may register after this factory).
    get maxStateBytes() {
      return likelihoodStateBytes(DEFAULTS.historicWindowSize) + stateBoundOf(source, DEFAULTS.inner);
    },
    create(params, state, hints) {
      const data = state?.data as LikelihoodDetectorData | undefined;
      const innerName = source.get(params.inner).name;
      if (data !== undefined && data.inner.detector !== innerName) {
        throw new Error(`likelihood inner is ${innerName} but its state is ${data.inner.detector}'s`);
      }
      const inner = source.create(params.inner, params.innerParams, data?.inner, hints);
      const { inner: _i, innerParams: _p, ...calibration } = params;
      return new LikelihoodDetector(inner, new LikelihoodCalibrator(calibration, hints, data));
    },
  };
}
