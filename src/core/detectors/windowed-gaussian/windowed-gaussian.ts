/**
 * Windowed Gaussian (NAB's windowedGaussian): mean and population sd of a window of past values;
 * the score is the two-sided normal confidence of the point's z. The window first grows one point
 * at a time up to `window` points, then slides forward `step` points at a time; while a step
 * fills, the window (and so the reference) stays put.
 *
 * State is per-block summaries, not raw values: each block of `step` points is kept as
 * (mean, sd), and blocks are merged with Chan's parallel formula, so the snapshot holds
 * 2·⌈window/step⌉ + 7 numbers instead of `window` values.
 */
import Type from 'typebox';
import { finiteOrNaN, tame, zScore } from '../../math/finite.ts';
import { twoSidedConfidence } from '../../math/normal.ts';
import type { Score } from '../../point.ts';
import { DEFAULT_AFTERGLOW, type Detector, type DetectorFactory, type DetectorState } from '../detector.ts';

export const WindowedGaussianParams = Type.Object(
  {
    window: Type.Integer({
      minimum: 2,
      default: 6400,
      description: 'points in the reference window (rounded up to a multiple of step)',
    }),
    step: Type.Integer({
      minimum: 1,
      default: 100,
      description: 'a full window slides this many points at a time',
    }),
    bandSigmas: Type.Number({ exclusiveMinimum: 0, default: 3.5, description: 'band half-width in sd' }),
    warmup: Type.Integer({
      minimum: 1,
      default: 20,
      description: 'points in the window before scores are non-zero',
    }),
    minStd: Type.Number({
      minimum: 0,
      default: 1e-6,
      description: 'floor on sd (NAB uses 1e-6 when sd is 0)',
    }),
  },
  { additionalProperties: false },
);
export interface WindowedGaussianParams {
  window: number;
  step: number;
  bandSigmas: number;
  warmup: number;
  minStd: number;
}

/** `window`, `partial`: [n, mean, sd]; `means`/`sds`: completed blocks, oldest first. */
interface WindowedGaussianData {
  window: [number, number, number];
  partial: [number, number, number];
  means: number[];
  sds: number[];
}

/** The block arrays of a detector that has completed no block yet (never written). */
const NO_BLOCKS: number[] = [];

const NO_BAND: Score = { score: 0, expected: Number.NaN, lower: Number.NaN, upper: Number.NaN };

export class WindowedGaussianDetector implements Detector {
  readonly #p: WindowedGaussianParams;
  readonly #k: number;
  /**
   * The blocks' means and sds: plain arrays of doubles (a typed array costs about 370 bytes of
   * headers besides its data, per series), made at the first completed block, so a series with
   * fewer than `step` points holds none (issue 19).
   */
  #means: number[] = NO_BLOCKS;
  #sds: number[] = NO_BLOCKS;
  #head = 0;
  #blocks = 0;
  #wn = 0;
  #wmean = 0;
  #wsd = 0;
  #pn = 0;
  #pmean = 0;
  #psd = 0;

  constructor(p: WindowedGaussianParams, data?: WindowedGaussianData) {
    this.#p = p;
    this.#k = Math.ceil(p.window / p.step);
    if (data !== undefined) {
      [this.#wn, this.#wmean, this.#wsd] = data.window;
      [this.#pn, this.#pmean, this.#psd] = data.partial;
      this.#blocks = Math.min(data.means.length, this.#k);
      if (this.#blocks > 0) this.#allocate();
      for (let i = 0; i < this.#blocks; i++) {
        this.#means[i] = data.means[i]!;
        this.#sds[i] = data.sds[i]!;
      }
      this.#head = 0;
    }
  }

  score(_ts: number, value: number): Score {
    if (this.#wn === 0) return NO_BAND;
    const mean = this.#wmean;
    const sd = Math.max(this.#wsd, this.#p.minStd);
    const half = this.#p.bandSigmas * sd;
    const score = this.#wn < this.#p.warmup ? 0 : twoSidedConfidence(zScore(tame(value), mean, sd));
    return { score, expected: mean, lower: finiteOrNaN(mean - half), upper: finiteOrNaN(mean + half) };
  }

  update(_ts: number, value: number): void {
    const x = tame(value);
    // Welford in sd form: sd'² = n/n'·(sd² + d²/n').
    let n1 = this.#pn + 1;
    let d = x - this.#pmean;
    this.#pmean += d / n1;
    this.#psd = addSd(this.#psd, d, this.#pn, n1);
    this.#pn = n1;
    const filling = this.#blocks < this.#k;
    if (filling) {
      n1 = this.#wn + 1;
      d = x - this.#wmean;
      this.#wmean += d / n1;
      this.#wsd = addSd(this.#wsd, d, this.#wn, n1);
      this.#wn = n1;
    }
    if (this.#pn < this.#p.step) return;
    if (filling) {
      if (this.#blocks === 0) this.#allocate();
      this.#means[this.#blocks] = this.#pmean;
      this.#sds[this.#blocks] = this.#psd;
      this.#blocks++;
    } else {
      this.#means[this.#head] = this.#pmean;
      this.#sds[this.#head] = this.#psd;
      this.#head = (this.#head + 1) % this.#k;
      this.#merge();
    }
    this.#pn = 0;
    this.#pmean = 0;
    this.#psd = 0;
  }

  #allocate(): void {
    // Zeros, then doubles written over them: arrays of exactly k double slots.
    this.#means = new Array<number>(this.#k).fill(0);
    this.#sds = new Array<number>(this.#k).fill(0);
  }

  /** Recomputes the window summary from the k blocks, oldest first. */
  #merge(): void {
    const step = this.#p.step;
    let n = 0;
    let mean = 0;
    let sd = 0;
    for (let j = 0; j < this.#k; j++) {
      const i = (this.#head + j) % this.#k;
      const mb = this.#means[i]!;
      const sb = this.#sds[i]!;
      const nn = n + step;
      const delta = mb - mean;
      const wa = n / nn;
      const wb = step / nn;
      // var = wa·sa² + wb·sb² + δ²·wa·wb
      const q = wa * sd * sd + wb * sb * sb + delta * delta * wa * wb;
      if (q < Number.POSITIVE_INFINITY) sd = Math.sqrt(q);
      else {
        const m = Math.max(sd, sb, Math.abs(delta));
        const a = sd / m;
        const b = sb / m;
        const c = delta / m;
        sd = m * Math.sqrt(wa * a * a + wb * b * b + c * c * wa * wb);
      }
      mean += delta * wb;
      n = nn;
    }
    this.#wn = n;
    this.#wmean = mean;
    this.#wsd = sd;
  }

  snapshot(): DetectorState {
    const means: number[] = [];
    const sds: number[] = [];
    const full = this.#blocks === this.#k;
    for (let j = 0; j < this.#blocks; j++) {
      const i = full ? (this.#head + j) % this.#k : j;
      means.push(this.#means[i]!);
      sds.push(this.#sds[i]!);
    }
    const data: WindowedGaussianData = {
      window: [this.#wn, this.#wmean, this.#wsd],
      partial: [this.#pn, this.#pmean, this.#psd],
      means,
      sds,
    };
    return { detector: 'windowed-gaussian', version: 1, data };
  }
}

function addSd(sd: number, d: number, n: number, n1: number): number {
  const q = sd * sd + (d * d) / n1;
  if (q < Number.POSITIVE_INFINITY) return Math.sqrt((q * n) / n1);
  return Math.sqrt(n / n1) * Math.hypot(sd, d / Math.sqrt(n1));
}

const DEFAULTS: WindowedGaussianParams = {
  window: 6400,
  step: 100,
  bandSigmas: 3.5,
  warmup: 20,
  minStd: 1e-6,
};

export const windowedGaussian: DetectorFactory<WindowedGaussianParams> = {
  name: 'windowed-gaussian',
  version: 1,
  afterglow: DEFAULT_AFTERGLOW,
  description: "Mean/sd of a sliding window of past values, two-sided normal tail (NAB's windowedGaussian).",
  params: WindowedGaussianParams,
  defaults: DEFAULTS,
  // 64 blocks × 2 numbers + 6, at most 25 bytes each, plus keys.
  maxStateBytes: (2 * Math.ceil(DEFAULTS.window / DEFAULTS.step) + 6) * 25 + 160,
  create(params, state) {
    return new WindowedGaussianDetector(params, state?.data as WindowedGaussianData | undefined);
  },
};
