/**
 * A bounded-state anomaly likelihood: NuPIC's calibration (scoring/likelihood.ts) with the
 * distribution of the averaged raw score tracked by running moments instead of re-estimated from
 * up to 8640 stored records. The moments weigh the last `horizon` records about equally
 * (α = 1/min(n, horizon)), so the state is a few numbers plus the averaging window, and on NAB it
 * scores as the full version does (docs/detectors.md).
 *
 * Kept from NuPIC: the first L + E records score 0.5 and moments are learnt from record L on; the
 * raw score is averaged over `averagingWindow` records; floors mean ≥ 0.03 and variance ≥ 0.0003;
 * a flat metric (value variance < 1.5e-5) uses the null distribution; one-sided upper tail with
 * NuPIC's constant 1.4142; two "red" tails in a row (≤ 1e-5) are clamped to "yellow" (1e-3).
 */
import { erfc } from '../math/special.ts';

export interface LiteLikelihoodSettings {
  learningPeriod: number;
  estimationSamples: number;
  averagingWindow: number;
  horizon: number;
}

export interface LiteLikelihoodData {
  t: number;
  /** Moments of the averaged raw score: count, mean, variance. */
  n: number;
  mean: number;
  variance: number;
  /** Moments of the values (for the flat-metric check). */
  nv: number;
  meanV: number;
  varV: number;
  avg: number[];
  total: number;
  /** The last unfiltered tail probability. */
  lastP: number;
}

const RED = 1 - 0.99999;
const YELLOW = 1 - 0.999;
const MIN_MEAN = 0.03;
const MIN_VARIANCE = 0.0003;
const FLAT_VARIANCE = 1.5e-5;
// biome-ignore lint/suspicious/noApproximativeNumericConstant: NuPIC's constant, kept for parity
const SQRT2_NUPIC = 1.4142;
/** Caps squared deviations of values: squares of huge values overflow, and such a series is not flat. */
const VARIANCE_CAP = 1e300;

export class LiteLikelihood {
  readonly #s: LiteLikelihoodSettings;
  #d: LiteLikelihoodData;

  constructor(settings: LiteLikelihoodSettings, data?: LiteLikelihoodData) {
    this.#s = settings;
    this.#d =
      data !== undefined
        ? { ...data, avg: data.avg.slice() }
        : { t: 0, n: 0, mean: 0, variance: 0, nv: 0, meanV: 0, varV: 0, avg: [], total: 0, lastP: 1 };
  }

  /** The likelihood `update(value, raw)` would return; no state change. */
  probe(raw: number): number {
    const d = this.#d;
    if (d.t < this.#s.learningPeriod + this.#s.estimationSamples) return 0.5;
    const { total, count } = this.#averaged(raw);
    const p = this.#tail(total / count);
    return 1 - (p <= RED && d.lastP <= RED ? YELLOW : p);
  }

  /** Commits the record and returns its likelihood. */
  update(value: number, raw: number): number {
    const d = this.#d;
    const s = this.#s;
    const { total, count } = this.#averaged(raw);
    if (d.avg.length === s.averagingWindow) d.avg.shift();
    d.avg.push(raw);
    d.total = total;
    const a = total / count;
    let likelihood = 0.5;
    if (d.t >= s.learningPeriod + s.estimationSamples) {
      const p = this.#tail(a);
      likelihood = 1 - (p <= RED && d.lastP <= RED ? YELLOW : p);
      d.lastP = p;
    }
    if (d.t >= s.learningPeriod) {
      d.n++;
      const alpha = 1 / Math.min(d.n, s.horizon);
      const dev = a - d.mean;
      d.mean += alpha * dev;
      d.variance = (1 - alpha) * (d.variance + alpha * dev * dev);
    }
    d.nv++;
    const alpha = 1 / Math.min(d.nv, s.horizon);
    const dev = value - d.meanV;
    d.meanV += alpha * dev;
    d.varV = Math.min((1 - alpha) * (d.varV + alpha * Math.min(dev * dev, VARIANCE_CAP)), VARIANCE_CAP);
    d.t++;
    return likelihood;
  }

  toJSON(): LiteLikelihoodData {
    return { ...this.#d, avg: this.#d.avg.slice() };
  }

  /** The running total and count of the averaging window once `raw` has entered it. */
  #averaged(raw: number): { total: number; count: number } {
    const d = this.#d;
    let total = d.total;
    let count = d.avg.length;
    if (count === this.#s.averagingWindow) total -= d.avg[0]!;
    else count++;
    return { total: total + raw, count };
  }

  /** P(X > x) for X ~ N(mean, sd) of the averaged raw score, floored; the null distribution if flat. */
  #tail(x: number): number {
    const d = this.#d;
    let mean = Math.max(d.mean, MIN_MEAN);
    let sd = Math.sqrt(Math.max(d.variance, MIN_VARIANCE));
    if (d.varV < FLAT_VARIANCE) {
      mean = 0.5;
      sd = 1000;
    }
    const z = (x - mean) / sd / SQRT2_NUPIC;
    return x >= mean ? 0.5 * erfc(z) : 1 - 0.5 * erfc(-z);
  }
}
