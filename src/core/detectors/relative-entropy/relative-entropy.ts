/**
 * Relative entropy (after NAB's relativeEntropy, Wang et al. 2011): the histogram of the last
 * `window` values is tested against a set of past histograms ("hypotheses") with the G-test,
 * d = 2·W·KL(P‖Q) ~ χ²(bins − 1). Per point, following NAB: the closest hypothesis that the test
 * accepts gains one occurrence; when every one is rejected, the window becomes a new hypothesis
 * (evicting the least seen when `maxHypotheses` are held).
 *
 * Score (continuous, unlike NAB's 0/1), against the closest *established* hypothesis Q (seen at
 * least `minOccurrences` times): the larger of
 * - the window's χ²-CDF of d, the confidence that its distribution is none of the usual ones, and
 * - 1 − Q(bin of the point), how rare the point's own bin is; a G-test over a window barely moves
 *   for one point, so without this a spike or the first point of a shift would go unseen.
 * 0 until a hypothesis is established.
 *
 * Bins: slices of an exponentially weighted z-score, the inner ones equal and the outer two
 * open-ended beyond ±3 sd, so binning is scale-free and follows slow drift. NAB's min/max hints
 * are deliberately not used: equal slices of [min, max] scored lower on NAB (59.7 vs 66.1 standard
 * inside the default likelihood ensemble). Band: mean ± k·sd of that standardiser.
 */
import Type from 'typebox';
import { EwMoments } from '../../math/ew-moments.ts';
import { finiteOrNaN, tame } from '../../math/finite.ts';
import { chiSquareCdf } from '../../math/special.ts';
import type { Score } from '../../point.ts';
import { DEFAULT_AFTERGLOW, type Detector, type DetectorFactory, type DetectorState } from '../detector.ts';

export const RelativeEntropyParams = Type.Object(
  {
    window: Type.Integer({ minimum: 4, default: 52, description: 'values per histogram' }),
    bins: Type.Integer({ minimum: 3, maximum: 64, default: 5, description: 'histogram bins' }),
    significance: Type.Number({
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: 0.01,
      description: 'G-test level at which a window is a new distribution',
    }),
    minOccurrences: Type.Integer({
      minimum: 1,
      default: 52,
      description: 'occurrences before a hypothesis counts as normal',
    }),
    maxHypotheses: Type.Integer({ minimum: 1, default: 32, description: 'past histograms kept' }),
    alpha: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.005,
      description: 'smoothing of the mean/sd the bins are placed by',
    }),
    bandSigmas: Type.Number({ exclusiveMinimum: 0, default: 3.5, description: 'band half-width in sd' }),
  },
  { additionalProperties: false },
);
export interface RelativeEntropyParams {
  window: number;
  bins: number;
  significance: number;
  minOccurrences: number;
  maxHypotheses: number;
  alpha: number;
  bandSigmas: number;
}

interface RelativeEntropyData {
  norm: [number, number, number];
  /** Last ≤ W values, oldest first. */
  values: number[];
  /** Hypotheses: bin counts (each sums to W) and occurrence counts. */
  hist: number[][];
  seen: number[];
}

/** The hypothesis arrays of a detector that has none yet: shared, never written. */
const NONE: number[] = [];

/** Pseudo-count added to every hypothesis bin so that KL stays finite. */
const PSEUDO = 0.5;

/**
 * Scratch of `#evaluate` for every detector of the thread: a window's frequencies, and its
 * counts, which live until the `#commit` that follows the evaluation (never another in between).
 */
let FREQ = new Float64Array(0);
let COUNTS = new Int32Array(0);

/** Math.log(c / window) for every count c of a window, by window size (shared, never written). */
const LOG_FREQUENCIES = new Map<number, Float64Array>();

function logFrequencies(window: number): Float64Array {
  let logs = LOG_FREQUENCIES.get(window);
  if (logs === undefined) {
    logs = Float64Array.from({ length: window + 1 }, (_, c) => Math.log(c / window));
    LOG_FREQUENCIES.set(window, logs);
  }
  return logs;
}

/** A point's evaluation: its score and the window's histogram with its nearest stored one. */
interface Evaluation {
  score: Score;
  counts: Int32Array;
  best: number;
  bestD: number;
  /** The established hypothesis' statistic and its χ² CDF, when there is one (else NaN). */
  establishedD: number;
  establishedCdf: number;
}

export class RelativeEntropyDetector implements Detector {
  readonly #p: RelativeEntropyParams;
  /** Inner bin width in sd (production binning). */
  readonly #width: number;
  /** Math.log(c / window) by count c (shared by every detector with this window). */
  readonly #logs: Float64Array;
  readonly #norm: EwMoments;
  /**
   * The last `window` values: a plain array that grows to `window` as the first values come (a
   * typed array per series cost about 370 bytes of headers besides its data, issue 19).
   */
  #ring: number[] = [];
  #head = 0;
  #size = 0;
  /**
   * The hypotheses, `bins` entries each, one after the other: their bin counts and the logs of
   * their smoothed frequencies (two typed arrays per hypothesis cost about 600 bytes of headers).
   */
  #hist: number[] = NONE;
  #logQ: number[] = NONE;
  #seen: number[] = NONE;
  constructor(p: RelativeEntropyParams, data?: RelativeEntropyData) {
    this.#p = p;
    this.#width = 6 / (p.bins - 2);
    this.#logs = logFrequencies(p.window);
    this.#norm = EwMoments.from(data?.norm);
    if (data !== undefined) {
      for (const v of data.values.slice(-p.window)) this.#push(v);
      for (let i = 0; i < data.hist.length; i++) this.#add(data.hist[i]!, data.seen[i]!);
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
    if (this.#size + 1 >= this.#p.window) {
      // The nearest hypothesis is most often the established one: its CDF is known then.
      const accepted =
        e.best >= 0 &&
        (Object.is(e.bestD, e.establishedD) ? e.establishedCdf : chiSquareCdf(e.bestD, this.#p.bins - 1)) <
          1 - this.#p.significance;
      if (accepted) this.#seen[e.best]!++;
      else this.#add(e.counts, 1);
    }
    const x = tame(value);
    this.#push(x);
    this.#norm.update(x, this.#p.alpha);
  }

  #evaluate(value: number): Evaluation {
    const p = this.#p;
    const x = tame(value);
    const mean = this.#norm.mean;
    const sd = Math.max(this.#norm.sd, Math.abs(mean) * 1e-9, 1e-300);
    if (COUNTS.length < p.bins) COUNTS = new Int32Array(p.bins);
    const counts = COUNTS;
    counts.fill(0, 0, p.bins);
    let best = -1;
    let bestD = Number.POSITIVE_INFINITY;
    let score = 0;
    let establishedD = Number.NaN;
    let establishedCdf = Number.NaN;
    if (this.#size + 1 >= p.window) {
      // The window ending at this point: the last W − 1 values and x (the ring index wrapped by
      // a comparison rather than a modulo per value).
      const start = this.#size - (p.window - 1);
      const ring = this.#ring;
      let r = (this.#head + start) % p.window;
      const n = p.bins;
      const width = this.#width;
      for (let i = start; i < this.#size; i++) {
        // #bin, inlined.
        const f = (ring[r]! - mean) / sd / width + n / 2;
        counts[f >= n ? n - 1 : f >= 0 ? Math.floor(f) : 0]!++;
        if (++r === p.window) r = 0;
      }
      counts[this.#bin(x, mean, sd)]!++;
      // The window's frequencies, divided once rather than once per hypothesis (same values).
      if (FREQ.length < p.bins) FREQ = new Float64Array(p.bins);
      const freq = FREQ;
      const logs = this.#logs;
      let plogp = 0;
      for (let b = 0; b < p.bins; b++) {
        const c = counts[b]!;
        freq[b] = c / p.window;
        if (c > 0) plogp += freq[b]! * logs[c]!;
      }
      let established = Number.POSITIVE_INFINITY;
      let normal = -1;
      const logQ = this.#logQ;
      for (let h = 0; h < this.#seen.length; h++) {
        const at = h * p.bins;
        let cross = 0;
        for (let b = 0; b < p.bins; b++) cross += freq[b]! * logQ[at + b]!;
        const d = 2 * p.window * Math.max(0, plogp - cross);
        if (d < bestD) {
          bestD = d;
          best = h;
        }
        if (this.#seen[h]! >= p.minOccurrences && d < established) {
          established = d;
          normal = h;
        }
      }
      if (normal >= 0) {
        const point = 1 - Math.exp(this.#logQ[normal * p.bins + this.#bin(x, mean, sd)]!);
        establishedD = established;
        establishedCdf = chiSquareCdf(established, p.bins - 1);
        score = Math.max(establishedCdf, point);
      }
    }
    const half = p.bandSigmas * this.#norm.sd;
    const has = this.#norm.n > 0;
    return {
      counts,
      best,
      bestD,
      establishedD,
      establishedCdf,
      score: {
        score,
        expected: has ? mean : Number.NaN,
        lower: has ? finiteOrNaN(mean - half) : Number.NaN,
        upper: has ? finiteOrNaN(mean + half) : Number.NaN,
      },
    };
  }

  #bin(x: number, mean: number, sd: number): number {
    const n = this.#p.bins;
    const f = (x - mean) / sd / this.#width + n / 2;
    return f >= n ? n - 1 : f >= 0 ? Math.floor(f) : 0;
  }

  #add(counts: ArrayLike<number>, seen: number): void {
    const bins = this.#p.bins;
    if (this.#seen === NONE) {
      this.#hist = [];
      this.#logQ = [];
      this.#seen = [];
    }
    const full = this.#seen.length >= this.#p.maxHypotheses;
    if (full) {
      let victim = 0;
      for (let h = 1; h < this.#seen.length; h++) if (this.#seen[h]! < this.#seen[victim]!) victim = h;
      this.#hist.splice(victim * bins, bins);
      this.#logQ.splice(victim * bins, bins);
      this.#seen.splice(victim, 1);
    }
    const total = this.#p.window + PSEUDO * bins;
    for (let b = 0; b < bins; b++) {
      // Int32Array.from of a stored count truncated it to 32 bits: kept so.
      const c = counts[b]! | 0;
      this.#hist.push(c);
      this.#logQ.push(Math.log((c + PSEUDO) / total));
    }
    this.#seen.push(seen);
    if (!full && this.#seen.length === this.#p.maxHypotheses) {
      // Grown by pushes, the arrays have up to half again their length in spare slots: from now
      // on their length stays, so copies of exactly that length replace them.
      this.#hist = this.#hist.slice();
      this.#logQ = this.#logQ.slice();
      this.#seen = this.#seen.slice();
    }
  }

  #push(x: number): void {
    const w = this.#p.window;
    if (this.#size < w) {
      // Filling: #head is 0, so this appends; once full, a copy of exactly w slots replaces the
      // array grown by pushes.
      this.#ring.push(x);
      this.#size++;
      if (this.#size === w) this.#ring = this.#ring.slice();
    } else {
      this.#ring[this.#head] = x;
      this.#head = (this.#head + 1) % w;
    }
  }

  snapshot(): DetectorState {
    const w = this.#p.window;
    const values: number[] = [];
    for (let i = 0; i < this.#size; i++) values.push(this.#ring[(this.#head + i) % w]!);
    const data: RelativeEntropyData = {
      norm: this.#norm.toJSON(),
      values,
      hist: this.#seen.map((_, h) => this.#hist.slice(h * this.#p.bins, (h + 1) * this.#p.bins)),
      seen: this.#seen.slice(),
    };
    return { detector: 'relative-entropy', version: 1, data };
  }
}

const DEFAULTS: RelativeEntropyParams = {
  window: 52,
  bins: 5,
  significance: 0.01,
  minOccurrences: 52,
  maxHypotheses: 32,
  alpha: 0.005,
  bandSigmas: 3.5,
};

export const relativeEntropy: DetectorFactory<RelativeEntropyParams> = {
  name: 'relative-entropy',
  version: 1,
  afterglow: DEFAULT_AFTERGLOW,
  description: 'Window histogram vs. past normal histograms, G-test (after NAB relativeEntropy).',
  params: RelativeEntropyParams,
  defaults: DEFAULTS,
  // W values (≤ 25 bytes) + K hypotheses × (bins counts ≤ 3 bytes + brackets) + K occurrence counts
  // (≤ 16 bytes, they only grow) + envelope.
  maxStateBytes:
    DEFAULTS.window * 25 +
    DEFAULTS.maxHypotheses * (DEFAULTS.bins * 3 + 3) +
    DEFAULTS.maxHypotheses * 16 +
    256,
  create(params, state) {
    return new RelativeEntropyDetector(params, state?.data as RelativeEntropyData | undefined);
  },
};
