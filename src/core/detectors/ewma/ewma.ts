/**
 * EWMA z-score: exponentially weighted mean and standard deviation; the score is the two-sided
 * normal confidence of the point's z against the state before the point. Band: mean ± k·sd.
 * The sd (not the variance) is kept, updated through hypot, so any finite input keeps the state
 * finite (a squared 1e160 would overflow). State: three numbers.
 */
import Type from 'typebox';
import { finiteOrNaN, hypot2, tame } from '../../math/finite.ts';
import { twoSidedConfidence } from '../../math/normal.ts';
import type { Score } from '../../point.ts';
import { DEFAULT_AFTERGLOW, type Detector, type DetectorFactory, type DetectorState } from '../detector.ts';

export const EwmaParams = Type.Object(
  {
    alpha: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.05, description: 'smoothing factor' }),
    bandSigmas: Type.Number({ exclusiveMinimum: 0, default: 3.5, description: 'band half-width in sd' }),
    warmup: Type.Integer({ minimum: 1, default: 20, description: 'points before scores are non-zero' }),
    minStd: Type.Number({ minimum: 0, default: 1e-9, description: 'floor on sd, avoids division by zero' }),
  },
  { additionalProperties: false },
);
export interface EwmaParams {
  alpha: number;
  bandSigmas: number;
  warmup: number;
  minStd: number;
}

interface EwmaData {
  n: number;
  mean: number;
  sd: number;
}

export class EwmaDetector implements Detector {
  readonly #p: EwmaParams;
  #n: number;
  #mean: number;
  #sd: number;

  constructor(p: EwmaParams, data?: EwmaData) {
    this.#p = p;
    this.#n = data?.n ?? 0;
    this.#mean = data?.mean ?? 0;
    this.#sd = data?.sd ?? 0;
  }

  score(_ts: number, value: number): Score {
    if (this.#n === 0) return { score: 0, expected: Number.NaN, lower: Number.NaN, upper: Number.NaN };
    const sd = Math.max(this.#sd, this.#p.minStd, Math.abs(this.#mean) * 1e-9);
    const half = this.#p.bandSigmas * sd;
    const score = this.#n < this.#p.warmup ? 0 : twoSidedConfidence((tame(value) - this.#mean) / sd);
    return {
      score,
      expected: this.#mean,
      lower: finiteOrNaN(this.#mean - half),
      upper: finiteOrNaN(this.#mean + half),
    };
  }

  /** score then update, fused: the clamped value and the floored sd are computed once. */
  step(_ts: number, raw: number): Score {
    const value = tame(raw);
    if (this.#n === 0) {
      this.#mean = value;
      this.#sd = 0;
      this.#n = 1;
      return { score: 0, expected: Number.NaN, lower: Number.NaN, upper: Number.NaN };
    }
    const mean = this.#mean;
    const sd = Math.max(this.#sd, this.#p.minStd, Math.abs(mean) * 1e-9);
    const half = this.#p.bandSigmas * sd;
    const d = value - mean;
    const s: Score = {
      score: this.#n < this.#p.warmup ? 0 : twoSidedConfidence(d / sd),
      expected: mean,
      lower: finiteOrNaN(mean - half),
      upper: finiteOrNaN(mean + half),
    };
    const a = Math.max(this.#p.alpha, 1 / (this.#n + 1));
    this.#mean = mean + a * d;
    this.#sd = Math.sqrt(1 - a) * hypot2(this.#sd, Math.sqrt(a) * d);
    this.#n++;
    return s;
  }

  update(_ts: number, raw: number): void {
    const value = tame(raw);
    if (this.#n === 0) {
      this.#mean = value;
      this.#sd = 0;
    } else {
      // During warm-up the weight starts at 1/n so early points are averaged, not just the first.
      const a = Math.max(this.#p.alpha, 1 / (this.#n + 1));
      const d = value - this.#mean;
      this.#mean += a * d;
      // variance' = (1 − a)(variance + a·d²), in sd form.
      this.#sd = Math.sqrt(1 - a) * hypot2(this.#sd, Math.sqrt(a) * d);
    }
    this.#n++;
  }

  snapshot(): DetectorState {
    return { detector: 'ewma', version: 2, data: { n: this.#n, mean: this.#mean, sd: this.#sd } };
  }
}

export const ewma: DetectorFactory<EwmaParams> = {
  name: 'ewma',
  version: 2,
  afterglow: DEFAULT_AFTERGLOW,
  description: 'Exponentially weighted mean/variance z-score with a ±k·sd band.',
  params: EwmaParams,
  defaults: { alpha: 0.05, bandSigmas: 3.5, warmup: 20, minStd: 1e-9 },
  create(params, state) {
    return new EwmaDetector(params, state?.data as EwmaData | undefined);
  },
};
