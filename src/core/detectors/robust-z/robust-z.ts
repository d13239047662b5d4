/**
 * Robust z-score: median and MAD of a sliding window of past values; the score is the two-sided
 * normal confidence of z = (x − median) / (1.4826·MAD). When more than half the window is tied
 * (MAD = 0), the scale falls back to 1.2533 × the mean absolute deviation, which is also
 * consistent for a normal sample. Band: median ± k·scale. State: the window's values.
 */
import Type from 'typebox';
import { finiteOrNaN, tame, zScore } from '../../math/finite.ts';
import { twoSidedConfidence } from '../../math/normal.ts';
import type { Score } from '../../point.ts';
import type { Detector, DetectorFactory, DetectorState } from '../detector.ts';
import { SortedWindow } from './sorted-window.ts';

export const RobustZParams = Type.Object(
  {
    window: Type.Integer({
      minimum: 3,
      default: 64,
      description: 'past values the median and MAD are taken over',
    }),
    bandSigmas: Type.Number({
      exclusiveMinimum: 0,
      default: 3.5,
      description: 'band half-width in robust sd',
    }),
    warmup: Type.Integer({
      minimum: 3,
      default: 20,
      description: 'values in the window before scores are non-zero',
    }),
    minScale: Type.Number({ minimum: 0, default: 1e-9, description: 'floor on the robust sd' }),
  },
  { additionalProperties: false },
);
export interface RobustZParams {
  window: number;
  bandSigmas: number;
  warmup: number;
  minScale: number;
}

interface RobustZData {
  values: number[];
}

/** 1 / Φ⁻¹(3/4): MAD → sd for a normal sample. */
const MAD_TO_SD = 1.482602218505602;
/** √(π/2): mean absolute deviation → sd for a normal sample. */
const MEAN_AD_TO_SD = 1.2533141373155003;

const NO_BAND: Score = { score: 0, expected: Number.NaN, lower: Number.NaN, upper: Number.NaN };

export class RobustZDetector implements Detector {
  readonly #p: RobustZParams;
  readonly #w: SortedWindow;
  #median = 0;
  #scale = 0;

  constructor(p: RobustZParams, data?: RobustZData) {
    this.#p = p;
    this.#w = new SortedWindow(p.window, data?.values);
    if (this.#w.size > 0) this.#refresh();
  }

  score(_ts: number, value: number): Score {
    if (this.#w.size === 0) return NO_BAND;
    const med = this.#median;
    const scale = this.#scale;
    const half = this.#p.bandSigmas * scale;
    const score = this.#w.size < this.#p.warmup ? 0 : twoSidedConfidence(zScore(tame(value), med, scale));
    return { score, expected: med, lower: finiteOrNaN(med - half), upper: finiteOrNaN(med + half) };
  }

  update(_ts: number, value: number): void {
    this.#w.push(tame(value));
    this.#refresh();
  }

  #refresh(): void {
    const med = this.#w.median();
    let scale = MAD_TO_SD * this.#w.mad(med);
    if (scale === 0) scale = MEAN_AD_TO_SD * this.#w.meanAbsDev(med);
    this.#median = med;
    this.#scale = Math.max(scale, this.#p.minScale, Math.abs(med) * 1e-9);
  }

  snapshot(): DetectorState {
    return { detector: 'robust-z', version: 1, data: { values: this.#w.values() } satisfies RobustZData };
  }
}

const DEFAULTS: RobustZParams = { window: 64, bandSigmas: 3.5, warmup: 20, minScale: 1e-9 };

export const robustZ: DetectorFactory<RobustZParams> = {
  name: 'robust-z',
  version: 1,
  description: 'Median/MAD z-score over a sliding window of past values, with a ±k·robust-sd band.',
  params: RobustZParams,
  defaults: DEFAULTS,
  // One number per window slot, at most 25 bytes each, plus the envelope.
  maxStateBytes: DEFAULTS.window * 25 + 96,
  create(params, state) {
    return new RobustZDetector(params, state?.data as RobustZData | undefined);
  },
};
