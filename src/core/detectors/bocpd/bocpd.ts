/**
 * Bayesian online changepoint detection (Adams & MacKay 2007) with a Normal-Gamma model (unknown
 * mean and variance, Student-t predictive) and a constant hazard 1/λ.
 *
 * - Scale-free: values are standardised by an exponentially weighted mean/sd of the series before
 *   the model sees them, and clamped at ±1e6 sd, so the unit prior (μ0 0, κ0 1, α0 1, β0 1) fits
 *   any series and nothing overflows.
 * - Bounded: run lengths are truncated at `maxRunLength` R; mass that would grow past R stays at R,
 *   whose statistics are those of the last R values. State: the last R values, R+1
 *   probabilities, and the standardiser. Run statistics are recomputed from the values each step
 *   (O(R)), so the prior may follow the standardiser without stale sufficient statistics.
 * - Score: the posterior probability that the point starts a new segment, P(r_t = 1 | x_1..t).
 *   (P(r_t = 0 | x_1..t) is the hazard itself in this model, so it carries no signal.)
 */
import Type from 'typebox';
import { EwMoments } from '../../math/ew-moments.ts';
import { finiteOrNaN, tame } from '../../math/finite.ts';
import { lnGamma } from '../../math/special.ts';
import type { Score } from '../../point.ts';
import type { Detector, DetectorFactory, DetectorState } from '../detector.ts';

export const BocpdParams = Type.Object(
  {
    hazardLambda: Type.Number({
      minimum: 1,
      default: 250,
      description: 'expected segment length λ (hazard 1/λ)',
    }),
    maxRunLength: Type.Integer({
      minimum: 2,
      default: 100,
      description: 'run lengths kept; longer runs merge',
    }),
    alpha: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.01,
      description: 'smoothing of the standardiser (mean/sd of the series)',
    }),
    bandSigmas: Type.Number({
      exclusiveMinimum: 0,
      default: 3.5,
      description: 'band half-width in predictive sd',
    }),
    warmup: Type.Integer({ minimum: 2, default: 20, description: 'points before scores are non-zero' }),
    minStd: Type.Number({ minimum: 0, default: 1e-9, description: 'floor on the standardiser sd' }),
  },
  { additionalProperties: false },
);
export interface BocpdParams {
  hazardLambda: number;
  maxRunLength: number;
  alpha: number;
  bandSigmas: number;
  warmup: number;
  minStd: number;
}

interface BocpdData {
  /** Standardiser [n, mean, sd]. */
  norm: [number, number, number];
  /** The last ≤ R values, oldest first. */
  values: number[];
  /** P(r | x_1..t) for r = 0 … min(t, R). */
  prob: number[];
}

const Z_LIMIT = 1e6;

/** A point's evaluation: its score and the run-length distribution it leads to. */
interface Evaluation {
  score: Score;
  prob: Float64Array;
  len: number;
}

export class BocpdDetector implements Detector {
  readonly #p: BocpdParams;
  readonly #r: number;
  readonly #h: number;
  readonly #oneMinusH: number;
  /** Γ(α_r + ½) / (Γ(α_r)·√(2α_r·π)) for α_r = 1 + r/2: the Student-t normaliser. */
  readonly #tConst: Float64Array;
  readonly #norm: EwMoments;
  readonly #ring: Float64Array;
  #head = 0;
  #size = 0;
  #prob: Float64Array;
  /** Scratch for the next distribution; swapped with #prob on update. */
  #spare: Float64Array;
  #len: number;

  constructor(p: BocpdParams, data?: BocpdData) {
    this.#p = p;
    const r = p.maxRunLength;
    this.#r = r;
    this.#h = 1 / p.hazardLambda;
    this.#oneMinusH = 1 - this.#h;
    this.#tConst = new Float64Array(r + 1);
    for (let i = 0; i <= r; i++) {
      const a = 1 + i / 2;
      this.#tConst[i] = Math.exp(lnGamma(a + 0.5) - lnGamma(a) - 0.5 * Math.log(2 * a * Math.PI));
    }
    this.#norm = EwMoments.from(data?.norm);
    this.#ring = new Float64Array(r);
    this.#prob = new Float64Array(r + 1);
    this.#spare = new Float64Array(r + 1);
    this.#len = 1;
    this.#prob[0] = 1;
    if (data !== undefined) {
      for (const v of data.values.slice(-r)) this.#push(v);
      this.#len = Math.min(data.prob.length, r + 1);
      for (let i = 0; i < this.#len; i++) this.#prob[i] = data.prob[i]!;
    }
  }

  score(_ts: number, value: number): Score {
    return this.#evaluate(value).score;
  }

  update(_ts: number, value: number): void {
    this.#commit(value, this.#evaluate(value));
  }

  step(_ts: number, value: number): Score {
    const e = this.#evaluate(value);
    this.#commit(value, e);
    return e.score;
  }

  #commit(value: number, e: Evaluation): void {
    this.#spare = this.#prob;
    this.#prob = e.prob;
    this.#len = e.len;
    const x = tame(value);
    this.#push(x);
    this.#norm.update(x, this.#p.alpha);
  }

  #evaluate(value: number): Evaluation {
    const x = tame(value);
    const norm = this.#norm;
    const center = norm.mean;
    const sd = Math.max(norm.sd, this.#p.minStd, Math.abs(center) * 1e-9);
    const zx = clampZ((x - center) / sd);
    const len = this.#len;
    const prob = this.#prob;
    const next = this.#spare;
    const nextLen = Math.min(len + 1, this.#r + 1);
    // Walk r = 0 … len−1; run r's statistics are those of the r newest values.
    let mean = 0;
    let m2 = 0;
    let cp = 0;
    let bestP = -1;
    let bestMu = 0;
    let bestScale = 1;
    for (let r = 0; r < len; r++) {
      if (r > 0) {
        const z = clampZ((this.#ring[(this.#head + this.#size - r) % this.#r]! - center) / sd);
        const d = z - mean;
        mean += d / r;
        m2 += d * (z - mean);
      }
      // Normal-Gamma posterior with μ0 = 0, κ0 = 1, α0 = 1, β0 = 1; Student-t predictive density.
      const kappa = 1 + r;
      const mu = (r * mean) / kappa;
      const a = 1 + r / 2;
      const beta = 1 + m2 / 2 + (r * mean * mean) / (2 * kappa);
      const scale2 = (beta * (kappa + 1)) / (a * kappa);
      const dz = zx - mu;
      const pred = (this.#tConst[r]! / Math.sqrt(scale2)) * (1 + (dz * dz) / (2 * a * scale2)) ** -(a + 0.5);
      const joint = prob[r]! * pred;
      cp += joint;
      const to = Math.min(r + 1, this.#r);
      next[to] = (to === r ? next[to]! : 0) + joint * this.#oneMinusH;
      if (prob[r]! > bestP) {
        bestP = prob[r]!;
        bestMu = mu;
        bestScale = Math.sqrt(scale2);
      }
    }
    next[0] = cp * this.#h;
    // cp is also the evidence p(x | x_1..t−1): the growth and changepoint terms sum to it.
    if (cp > 0 && cp < Number.POSITIVE_INFINITY) {
      for (let r = 0; r < nextLen; r++) next[r] = next[r]! / cp;
    } else {
      // Nothing explains x at all (cannot happen with clamped z, kept as a guard): start afresh.
      next.fill(0);
      next[0] = this.#h;
      next[1] = 1 - this.#h;
    }
    const fresh = this.#size === 0 ? 0 : next[1]!;
    const half = this.#p.bandSigmas * bestScale * sd;
    const expected = this.#size === 0 ? Number.NaN : finiteOrNaN(center + bestMu * sd);
    const score: Score = {
      score: norm.n < this.#p.warmup ? 0 : Math.min(1, fresh),
      expected,
      lower: finiteOrNaN(expected - half),
      upper: finiteOrNaN(expected + half),
    };
    return { score, prob: next, len: nextLen };
  }

  #push(x: number): void {
    if (this.#size < this.#r) {
      this.#ring[(this.#head + this.#size) % this.#r] = x;
      this.#size++;
    } else {
      this.#ring[this.#head] = x;
      this.#head = (this.#head + 1) % this.#r;
    }
  }

  snapshot(): DetectorState {
    const values: number[] = [];
    for (let i = 0; i < this.#size; i++) values.push(this.#ring[(this.#head + i) % this.#r]!);
    const data: BocpdData = {
      norm: this.#norm.toJSON(),
      values,
      prob: Array.from(this.#prob.subarray(0, this.#len)),
    };
    return { detector: 'bocpd', version: 1, data };
  }
}

function clampZ(z: number): number {
  return z > Z_LIMIT ? Z_LIMIT : Math.max(z, -Z_LIMIT);
}

const DEFAULTS: BocpdParams = {
  hazardLambda: 250,
  maxRunLength: 100,
  alpha: 0.01,
  bandSigmas: 3.5,
  warmup: 20,
  minStd: 1e-9,
};

export const bocpd: DetectorFactory<BocpdParams> = {
  name: 'bocpd',
  version: 1,
  // Under its strict NAB optimum (0.039 of its calibrated scale): the default level's ceiling (0.25)
  // would sit above it and change what the benchmark's best threshold flags.
  afterglow: { level: 0.06 },
  description: 'Bayesian online changepoint detection (Normal-Gamma, truncated run lengths); P(new segment).',
  params: BocpdParams,
  defaults: DEFAULTS,
  // R values + R+1 log probabilities + 3, at most 25 bytes each, plus keys.
  maxStateBytes: (2 * DEFAULTS.maxRunLength + 4) * 25 + 128,
  create(params, state) {
    return new BocpdDetector(params, state?.data as BocpdData | undefined);
  },
};
