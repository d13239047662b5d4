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
    return { detector: 'likelihood', version: 1, data };
  }
}

function out(score: number, inner: Score): Score {
  return { score, expected: inner.expected, lower: inner.lower, upper: inner.upper };
}

const DEFAULTS: LikelihoodParams = { inner: 'ensemble', innerParams: {}, ...LIKELIHOOD_CALIBRATION_DEFAULTS };

/** The `likelihood` factory; `source` builds inner detectors by name (the registry). */
export function likelihoodDetector(source: DetectorSource): DetectorFactory<LikelihoodParams> {
  return {
    name: 'likelihood',
    version: 1,
    description:
      'Any detector followed by the HTM anomaly-likelihood calibration (NAB numenta post-processing), as one detector.',
    calibration: 'none',
    buildingBlock: 'the likelihood calibration stage does the same in any pipeline',
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
      const { inner: _i, innerParams: _p, ...calibration } = params;
      return new LikelihoodDetector(inner, new LikelihoodCalibrator(calibration, hints, data));
    },
  };
}
