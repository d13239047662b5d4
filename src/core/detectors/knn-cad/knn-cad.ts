/**
 * KNN-CAD: conformal k-nearest-neighbour anomaly detection (Ishimtsev, Bernstein, Burnaev,
 * Nazarov, 2017), shaped like NAB's `knncad` detector. Each point is represented by the window of
 * its last `dim` values. The non-conformity of a window is the sum of its squared Mahalanobis
 * distances to the `k` nearest training windows, the metric being (XᵀX)⁻¹ over the training
 * windows, re-estimated every P/2 learned windows. The score is a conformal p-value turned
 * around: the share of calibration non-conformities (one per training window, itself left out)
 * strictly below the new one. Training and calibration slide: each scored window replaces the
 * oldest. After a score ≥ `refractoryThreshold` the next P/5 outputs are 0 and those windows are
 * neither learned nor counted (NAB's false-positive reduction).
 *
 * Probation: the first P windows (P = `hints.probationaryLength`, else `probation`) only fill the
 * training set, so outputs are 0 for the first P + dim − 1 points. There is no NAB-mode/strict-mode
 * difference beyond P: the metric adapts to the data's scale, so no min/max is used.
 *
 * Reproduction: written from the paper and NAB's parameters (dim 19, k 27, metric refreshed every
 * P/2, refractory P/5), not from NAB's code; NAB's raw knncad results are not in the corpus
 * snapshot (only its final score, 58.0 / 43.4 / 64.8), so it is checked on behaviour and on the NAB
 * score. The metric is applied through a Cholesky factor (distances equal the direct form up to
 * rounding).
 */
import Type from 'typebox';
import { tame } from '../../math/finite.ts';
import type { Score } from '../../point.ts';
import {
  DEFAULT_AFTERGLOW,
  type Detector,
  type DetectorFactory,
  type DetectorHints,
  type DetectorState,
} from '../detector.ts';
import { base64ToFloat64, float64ToBase64 } from '../state-codec.ts';
import { choleskyOfGram, identity, whiten } from './whitening.ts';

export const KnnCadParams = Type.Object(
  {
    dim: Type.Integer({
      minimum: 1,
      maximum: 256,
      default: 19,
      description: 'window length (values per point)',
    }),
    k: Type.Integer({ minimum: 1, default: 27, description: 'nearest neighbours in the non-conformity' }),
    probation: Type.Integer({
      minimum: 16,
      default: 750,
      description: 'probationary length when the harness gives none (training and calibration size)',
    }),
    refractoryThreshold: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.9965,
      description: 'a score at or above this silences the next P/5 outputs',
    }),
  },
  { additionalProperties: false },
);
export interface KnnCadParams {
  dim: number;
  k: number;
  probation: number;
  refractoryThreshold: number;
}

interface KnnCadData {
  p: number;
  seen: number;
  items: number;
  pred: number;
  last: string;
  train: string;
  scores: string;
  trainLen: number;
  scoresReady: boolean;
  chol: string;
}

export class KnnCadDetector implements Detector {
  readonly #dim: number;
  readonly #k: number;
  readonly #threshold: number;
  /** P: the probation, and the size of the training (and calibration) set. */
  readonly #p: number;
  /** Values seen, and windows learned (NAB's record count: training, then scored and kept). */
  #seen = 0;
  #items = 0;
  /** Remaining silenced outputs; −1 before the first anomaly (as NAB). */
  #pred = -1;
  /** The last `dim` values, oldest first. */
  readonly #last: Float64Array;
  /** Training windows (ring, oldest at #head), their whitened copies, and calibration scores. */
  readonly #train: Float64Array;
  readonly #trainY: Float64Array;
  readonly #scores: Float64Array;
  #head = 0;
  #trainLen = 0;
  #scoresReady = false;
  #chol: Float64Array;
  readonly #y: Float64Array;
  readonly #yq: Float64Array;
  readonly #best: Float64Array;

  constructor(params: KnnCadParams, hints: DetectorHints = {}, data?: KnnCadData) {
    this.#dim = params.dim;
    this.#threshold = params.refractoryThreshold;
    // The training set must hold more than k windows besides the one scored.
    this.#p = data?.p ?? Math.max(params.k + 2, hints.probationaryLength ?? params.probation);
    this.#k = Math.min(params.k, this.#p - 1);
    this.#last = new Float64Array(params.dim);
    this.#train = new Float64Array(this.#p * params.dim);
    this.#trainY = new Float64Array(this.#p * params.dim);
    this.#scores = new Float64Array(this.#p);
    this.#chol = identity(params.dim);
    this.#y = new Float64Array(params.dim);
    this.#yq = new Float64Array(params.dim);
    this.#best = new Float64Array(this.#k + 1);
    if (data) this.#restore(data);
  }

  score(_ts: number, value: number): Score {
    if (!Number.isFinite(value) || this.#seen + 1 < this.#dim || this.#items < this.#p || this.#pred > 0) {
      return out(0);
    }
    return out(this.#pValue(this.#ncm(this.#window(tame(value)), false)));
  }

  update(ts: number, value: number): void {
    this.step(ts, value);
  }

  step(_ts: number, value: number): Score {
    if (!Number.isFinite(value)) return out(0);
    const item = this.#window(tame(value));
    this.#last.set(item);
    if (++this.#seen < this.#dim) return out(0);
    if (this.#items < this.#p) {
      this.#append(item, 0);
      this.#items++;
      this.#prepare();
      return out(0);
    }
    const s = this.#ncm(item, false);
    const result = this.#pValue(s);
    // Silenced windows are neither learned nor counted (NAB's record count stands still).
    if (this.#pred > 0) {
      this.#pred--;
      return out(0);
    }
    if (result >= this.#threshold) this.#pred = Math.floor(this.#p / 5);
    this.#append(item, s);
    this.#items++;
    this.#prepare();
    return out(result);
  }

  snapshot(): DetectorState {
    const data: KnnCadData = {
      p: this.#p,
      seen: this.#seen,
      items: this.#items,
      pred: this.#pred,
      last: float64ToBase64(this.#last),
      train: float64ToBase64(this.#ordered(this.#train, this.#dim)),
      scores: float64ToBase64(this.#ordered(this.#scores, 1)),
      trainLen: this.#trainLen,
      scoresReady: this.#scoresReady,
      chol: float64ToBase64(this.#chol),
    };
    return { detector: 'knn-cad', version: 1, data };
  }

  /** The window ending with `value` (scratch; valid until the next call). */
  #window(value: number): Float64Array {
    const w = this.#y;
    w.set(this.#last.subarray(1));
    w[this.#dim - 1] = value;
    return w;
  }

  /**
   * Work due before the next window is scored, done at the end of a step so that `score` stays
   * free of learning: the metric every P/2 learned windows, and the calibration scores once.
   */
  #prepare(): void {
    const r = this.#items;
    if (r < this.#p) return;
    const ost = r % this.#p;
    if (ost === 0 || ost === Math.floor(this.#p / 2)) {
      const l = choleskyOfGram(this.#train, this.#head, this.#trainLen, this.#p, this.#dim);
      if (l) {
        this.#chol = l;
        this.#whitenAll();
      }
    }
    if (!this.#scoresReady) {
      const item = new Float64Array(this.#dim);
      for (let i = 0; i < this.#trainLen; i++) {
        const o = ((this.#head + i) % this.#p) * this.#dim;
        item.set(this.#train.subarray(o, o + this.#dim));
        this.#scores[(this.#head + i) % this.#p] = this.#ncm(item, true);
      }
      this.#scoresReady = true;
    }
  }

  /** Sum of the k smallest distances to the training windows (k + 1 when `item` is one of them). */
  #ncm(item: Float64Array, inTraining: boolean): number {
    const d = this.#dim;
    const y = this.#yq;
    whiten(this.#chol, d, item, 0, y, 0);
    const m = inTraining ? this.#k + 1 : this.#k;
    const best = this.#best;
    let filled = 0;
    const ty = this.#trainY;
    for (let i = 0; i < this.#trainLen; i++) {
      const o = i * d;
      let dist = 0;
      for (let j = 0; j < d; j++) {
        const e = ty[o + j]! - y[j]!;
        dist += e * e;
      }
      // Keep the m smallest, sorted ascending (insertion; m is small).
      if (filled < m) {
        let j = filled++;
        while (j > 0 && best[j - 1]! > dist) {
          best[j] = best[j - 1]!;
          j--;
        }
        best[j] = dist;
      } else if (dist < best[m - 1]!) {
        let j = m - 1;
        while (j > 0 && best[j - 1]! > dist) {
          best[j] = best[j - 1]!;
          j--;
        }
        best[j] = dist;
      }
    }
    let sum = 0;
    for (let j = 0; j < filled; j++) sum += best[j]!;
    return sum;
  }

  /** Share of calibration scores strictly below `s`. */
  #pValue(s: number): number {
    let below = 0;
    for (let i = 0; i < this.#trainLen; i++) if (this.#scores[i]! < s) below++;
    return this.#trainLen === 0 ? 0 : below / this.#trainLen;
  }

  /** Adds a window (and its calibration score), dropping the oldest when full. */
  #append(item: Float64Array, score: number): void {
    const d = this.#dim;
    let slot: number;
    if (this.#trainLen < this.#p) {
      slot = (this.#head + this.#trainLen++) % this.#p;
    } else {
      slot = this.#head;
      this.#head = (this.#head + 1) % this.#p;
    }
    this.#train.set(item, slot * d);
    whiten(this.#chol, d, item, 0, this.#trainY, slot * d);
    this.#scores[slot] = score;
  }

  #whitenAll(): void {
    for (let i = 0; i < this.#trainLen; i++)
      whiten(this.#chol, this.#dim, this.#train, i * this.#dim, this.#trainY, i * this.#dim);
  }

  /** A ring's rows, oldest first. */
  #ordered(ring: Float64Array, width: number): Float64Array {
    const out = new Float64Array(this.#trainLen * width);
    for (let i = 0; i < this.#trainLen; i++) {
      const o = ((this.#head + i) % this.#p) * width;
      out.set(ring.subarray(o, o + width), i * width);
    }
    return out;
  }

  #restore(data: KnnCadData): void {
    this.#seen = data.seen;
    this.#items = data.items;
    this.#pred = data.pred;
    this.#last.set(base64ToFloat64(data.last));
    this.#train.set(base64ToFloat64(data.train));
    this.#scores.set(base64ToFloat64(data.scores));
    this.#trainLen = data.trainLen;
    this.#head = 0;
    this.#scoresReady = data.scoresReady;
    this.#chol = base64ToFloat64(data.chol).slice();
    this.#whitenAll();
  }
}

function out(score: number): Score {
  return { score, expected: Number.NaN, lower: Number.NaN, upper: Number.NaN };
}

const DEFAULTS: KnnCadParams = { dim: 19, k: 27, probation: 750, refractoryThreshold: 0.9965 };

export const knnCad: DetectorFactory<KnnCadParams> = {
  name: 'knn-cad',
  version: 1,
  afterglow: DEFAULT_AFTERGLOW,
  description: 'KNN-CAD: conformal k-NN anomaly detection over value windows (NAB knncad).',
  params: KnnCadParams,
  defaults: DEFAULTS,
  // Base64 float64s: the P training windows and their scores, the metric factor, the last window.
  maxStateBytes:
    Math.ceil(
      (4 / 3) * 8 * (DEFAULTS.probation * (DEFAULTS.dim + 1) + DEFAULTS.dim * DEFAULTS.dim + DEFAULTS.dim),
    ) + 512,
  create(params, state, hints) {
    return new KnnCadDetector(params, hints, state?.data as KnnCadData | undefined);
  },
};
