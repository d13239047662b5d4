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
import { tame } from '../math/finite.ts';
import { erfcFast } from '../math/special.ts';
import type { ExtremeData } from './new-extreme.ts';

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

/** Where each scalar sits in LiteLikelihood's array; the averaging window's ring follows them. */
const T = 0;
const N = 1;
const MEAN = 2;
const VARIANCE = 3;
const NV = 4;
const MEAN_V = 5;
const VAR_V = 6;
const TOTAL = 7;
const LAST_P = 8;
/** The bounds of the new-extreme rule (`extreme*` below): lowest and highest value seen. */
const EX_MIN = 9;
const EX_MAX = 10;
const AVG = 11;

export class LiteLikelihood {
  readonly #s: LiteLikelihoodSettings;
  /**
   * The scalars of LiteLikelihoodData at T..LAST_P, then the averaging window as a ring of
   * `averagingWindow` slots from AVG: one plain array of doubles per series instead of an object
   * whose double fields are each a boxed number, and an array that shifts (issue 19: a few hundred
   * bytes a series less). The same doubles as before, so the same scores.
   */
  readonly #v: number[];
  /** Raw scores in the window (≤ averagingWindow), and the ring slot of the oldest. */
  #count = 0;
  #head = 0;

  constructor(settings: LiteLikelihoodSettings, data?: LiteLikelihoodData, extreme: ExtremeData = null) {
    this.#s = settings;
    const v = new Array<number>(AVG + settings.averagingWindow).fill(0);
    this.#v = v;
    v[EX_MIN] = extreme === null ? Number.POSITIVE_INFINITY : extreme[0];
    v[EX_MAX] = extreme === null ? Number.NEGATIVE_INFINITY : extreme[1];
    if (data === undefined) {
      v[LAST_P] = 1;
      return;
    }
    v[T] = data.t;
    v[N] = data.n;
    v[MEAN] = data.mean;
    v[VARIANCE] = data.variance;
    v[NV] = data.nv;
    v[MEAN_V] = data.meanV;
    v[VAR_V] = data.varV;
    v[TOTAL] = data.total;
    v[LAST_P] = data.lastP;
    // A state holds at most averagingWindow raw scores (the same params: the pipeline hash).
    for (const raw of data.avg.slice(-settings.averagingWindow)) v[AVG + this.#count++] = raw;
  }

  /** The likelihood `update(value, raw)` would return; no state change. */
  probe(raw: number): number {
    const v = this.#v;
    if (v[T]! < this.#s.learningPeriod + this.#s.estimationSamples) return 0.5;
    const total = this.#total(raw);
    const p = this.#tail(total / this.#countWith());
    return 1 - (p <= RED && v[LAST_P]! <= RED ? YELLOW : p);
  }

  /** Commits the record and returns its likelihood. */
  update(value: number, raw: number): number {
    const v = this.#v;
    const s = this.#s;
    const total = this.#total(raw);
    const count = this.#countWith();
    if (this.#count === s.averagingWindow) {
      v[AVG + this.#head] = raw;
      this.#head = (this.#head + 1) % s.averagingWindow;
    } else v[AVG + this.#count++] = raw;
    v[TOTAL] = total;
    const a = total / count;
    let likelihood = 0.5;
    if (v[T]! >= s.learningPeriod + s.estimationSamples) {
      const p = this.#tail(a);
      likelihood = 1 - (p <= RED && v[LAST_P]! <= RED ? YELLOW : p);
      v[LAST_P] = p;
    }
    if (v[T]! >= s.learningPeriod) {
      const n = v[N]! + 1;
      v[N] = n;
      const alpha = 1 / Math.min(n, s.horizon);
      const dev = a - v[MEAN]!;
      v[MEAN] = v[MEAN]! + alpha * dev;
      v[VARIANCE] = (1 - alpha) * (v[VARIANCE]! + alpha * dev * dev);
    }
    const nv = v[NV]! + 1;
    v[NV] = nv;
    const alpha = 1 / Math.min(nv, s.horizon);
    const dev = value - v[MEAN_V]!;
    v[MEAN_V] = v[MEAN_V]! + alpha * dev;
    v[VAR_V] = Math.min((1 - alpha) * (v[VAR_V]! + alpha * Math.min(dev * dev, VARIANCE_CAP)), VARIANCE_CAP);
    v[T] = v[T]! + 1;
    return likelihood;
  }

  toJSON(): LiteLikelihoodData {
    const v = this.#v;
    const w = this.#s.averagingWindow;
    const avg: number[] = [];
    for (let i = 0; i < this.#count; i++) avg.push(v[AVG + ((this.#head + i) % w)]!);
    return {
      t: v[T]!,
      n: v[N]!,
      mean: v[MEAN]!,
      variance: v[VARIANCE]!,
      nv: v[NV]!,
      meanV: v[MEAN_V]!,
      varV: v[VAR_V]!,
      avg,
      total: v[TOTAL]!,
      lastP: v[LAST_P]!,
    };
  }

  /**
   * NAB's new-extreme rule (scoring/new-extreme.ts, the same arithmetic), its bounds kept in this
   * array rather than in an object of their own: the lite-likelihood calibration asks both for
   * every point, and with thousands of series each separate object is another cache miss.
   * Whether `value` is beyond every earlier value by more than `tolerance` × their range.
   */
  extremeTest(value: number, tolerance: number): boolean {
    const min = this.#v[EX_MIN]!;
    const max = this.#v[EX_MAX]!;
    if (!(max > min) || !Number.isFinite(value)) return false;
    const x = tame(value);
    const margin = tolerance * (max - min);
    return x > max + margin || x < min - margin;
  }

  /** Widens the new-extreme bounds to `value` (non-finite values are ignored). */
  extremeObserve(value: number): void {
    if (!Number.isFinite(value)) return;
    const x = tame(value);
    const v = this.#v;
    if (x < v[EX_MIN]!) v[EX_MIN] = x;
    if (x > v[EX_MAX]!) v[EX_MAX] = x;
  }

  /** The new-extreme bounds as NewExtreme.toJSON writes them. */
  extremeJSON(): ExtremeData {
    const min = this.#v[EX_MIN]!;
    const max = this.#v[EX_MAX]!;
    return max >= min ? [min, max] : null;
  }

  /** The running total of the averaging window once `raw` has entered it. */
  #total(raw: number): number {
    let total = this.#v[TOTAL]!;
    if (this.#count === this.#s.averagingWindow) total -= this.#v[AVG + this.#head]!;
    return total + raw;
  }

  /** How many raw scores the averaging window holds once the next has entered it. */
  #countWith(): number {
    return this.#count === this.#s.averagingWindow ? this.#count : this.#count + 1;
  }

  /** P(X > x) for X ~ N(mean, sd) of the averaged raw score, floored; the null distribution if flat. */
  #tail(x: number): number {
    const v = this.#v;
    let mean = Math.max(v[MEAN]!, MIN_MEAN);
    let sd = Math.sqrt(Math.max(v[VARIANCE]!, MIN_VARIANCE));
    if (v[VAR_V]! < FLAT_VARIANCE) {
      mean = 0.5;
      sd = 1000;
    }
    const z = (x - mean) / sd / SQRT2_NUPIC;
    return x >= mean ? 0.5 * erfcFast(z) : 1 - 0.5 * erfcFast(-z);
  }
}
