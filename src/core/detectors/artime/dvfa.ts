/**
 * Dual-vigilance fuzzy ART (DVFA) over complement-coded 16-feature vectors, as ARTime uses it
 * (docs: /work/shared/research/detectors.md §1.4). Each category is a 32-wide weight row and a
 * cluster label. Arithmetic order follows the description exactly (left-to-right sums, fs³·es²),
 * because ARTime's outputs are reproduced bit for bit. The category search computes in full only
 * the matches that can change its outcome: one provably below both the best so far and the upper
 * vigilance is cut short (`present`, `bound`), which leaves every output and weight as they were.
 *
 * Categories only grow in ARTime. Here they grow up to `capacity` (NAB never gets there); then a
 * new category replaces the one that resonated least recently, so a long-running stream keeps a
 * bounded, recent memory instead of freezing.
 */

import { base64ToFloat64, float64ToBase64 } from '../state-codec.ts';

export const FEATURES = 16;
const WIDTH = 2 * FEATURES;

export interface DvfaData {
  lb: number;
  ub: number;
  /** Category weights, row-major, WIDTH per category (float64, base64). */
  w: string;
  labels: number[];
  /** Presentation stamp of each category's last resonance (for replacement at capacity). */
  used: number[];
  clusters: number;
  stamp: number;
}

/**
 * Scratch of a presentation (the complement-coded sample, each category's match): one for every
 * Dvfa of the thread, since a presentation runs to its end before another starts. They were per
 * instance: about 2-3 KB a series of the default pipeline (issue 19).
 */
const X = new Float64Array(WIDTH);
let M = new Float64Array(0);
/** The match of a category cut short: below everything that could use it. */
const SKIPPED = Number.NEGATIVE_INFINITY;
/**
 * Per category, derived from its weights: their sum and the sum of those from 8 on. (The sums
 * after 16 and 24 too, for more cuts, and the energy weights side by side measured no faster on
 * NAB's default, for 32 more bytes a category.)
 */
const DERIVED = 2;
const WS = 0;
const T8 = 1;
/**
 * Absolute slack on a partial sum plus the weights after it, covering the rounding of both (each
 * under 32 · 2⁻⁵³ · 64 ≈ 2.3e-13 for weights and features in [-1, 2]; outside, nothing is cut).
 */
const SLACK = 1e-9;

export class Dvfa {
  /** Lower and upper vigilance. */
  lb: number;
  ub: number;
  /** Best match and its energy of the last presentation (ARTime's A and Ae entries). */
  best = 0;
  bestE = 0;
  #w: Float64Array;
  /** DERIVED numbers per category (not state: rebuilt from the weights). */
  #derived: Float64Array;
  #labels: Int32Array;
  #used: Float64Array;
  #n = 0;
  #clusters = 0;
  #stamp = 0;
  /** The top category of the last presentation, visited first by the next (derived, not state). */
  #top = 0;
  readonly #capacity: number;

  constructor(lb: number, ub: number, capacity: number, data?: DvfaData) {
    this.lb = data?.lb ?? lb;
    this.ub = data?.ub ?? ub;
    this.#capacity = capacity;
    const n = data ? data.labels.length : 0;
    const cap = Math.max(16, n);
    this.#w = new Float64Array(cap * WIDTH);
    this.#derived = new Float64Array(cap * DERIVED);
    this.#labels = new Int32Array(cap);
    this.#used = new Float64Array(cap);
    if (data) {
      this.#w.set(base64ToFloat64(data.w));
      this.#labels.set(data.labels);
      this.#used.set(data.used);
      this.#n = n;
      this.#clusters = data.clusters;
      this.#stamp = data.stamp;
      for (let j = 0; j < n; j++) this.#derive(j);
    }
  }

  /** An independent copy (for evaluating a point without learning from it). */
  clone(): Dvfa {
    const c = new Dvfa(this.lb, this.ub, this.#capacity);
    c.#w = this.#w.slice();
    c.#derived = this.#derived.slice();
    c.#top = this.#top;
    c.#labels = this.#labels.slice();
    c.#used = this.#used.slice();
    c.#n = this.#n;
    c.#clusters = this.#clusters;
    c.#stamp = this.#stamp;
    return c;
  }

  get categories(): number {
    return this.#n;
  }

  /**
   * Presents `f` (16 values in [0, 1]); returns the resonating cluster label, or -1 when the
   * sample is novel (no category passes the lower vigilance). Sets `best` and `bestE`.
   */
  present(f: ArrayLike<number>, learn: boolean): number {
    const x = X;
    this.#stamp++;
    for (let i = 0; i < FEATURES; i++) {
      x[i] = f[i]!;
      x[i + FEATURES] = 1 - f[i]!;
    }
    if (this.#n === 0) {
      // The first sample only seeds an all-ones category; it is not learned.
      this.#add(null, 1);
      this.#clusters = 1;
      this.best = 0;
      this.bestE = 0;
      return 1;
    }
    const n = this.#n;
    if (M.length < n) M = new Float64Array(this.#w.length / WIDTH);
    const match = M;
    const w = this.#w;
    const derived = this.#derived;
    const ub = this.ub;
    const x15 = x[FEATURES - 1]!;
    const x31 = x[WIDTH - 1]!;
    // Cutting short leans on every sum term being at most its weight, which a NaN sample breaks,
    // and on SLACK, which assumes features near [0, 1] as the encoder gives them: any other
    // sample is searched in full.
    let skip = true;
    for (let i = 0; i < WIDTH; i++) if (!(x[i]! >= -1 && x[i]! <= 2)) skip = false;
    let hasNaN = false;
    let top = -1;
    let topM = Number.NEGATIVE_INFINITY;
    // A category whose match is provably below `floor` is neither the top nor learned (learning
    // takes those at or above ub), so its sum is cut short (see `bound`). Last time's top is
    // visited first to raise the floor early; the order changes no result.
    let floor = Number.NEGATIVE_INFINITY;
    const first = this.#top < n ? this.#top : 0;
    for (let k = 0; k < n; k++) {
      const j = k === 0 ? first : k <= first ? k - 1 : k;
      const o = j * WIDTH;
      const t = j * DERIVED;
      const a = w[o + FEATURES - 1]!;
      const b = w[o + WIDTH - 1]!;
      const es = (Math.min(x15, a) + Math.min(x31, b)) / (a + b);
      const ws = derived[t + WS]!;
      let mj: number;
      if (!(skip && ws > 0 && ws < Number.POSITIVE_INFINITY)) {
        mj = fullMatch(w, o, ws, es);
      } else if (es * es < floor) {
        // fs ≤ 1 (see `bound`), so es² alone bounds the match.
        mj = SKIPPED;
      } else {
        // No NaN in the sample or the row (the row's sum is finite), so `lesser` gives each term
        // as Math.min would.
        let s = 0;
        for (let i = 0; i < 8; i++) s += lesser(x[i]!, w[o + i]!);
        mj = SKIPPED;
        if (!(bound(s, derived[t + T8]!, ws, es) < floor)) {
          for (let i = 8; i < WIDTH; i++) s += lesser(x[i]!, w[o + i]!);
          const fs = s / ws;
          mj = fs * fs * fs * (es * es);
        }
      }
      match[j] = mj;
      if (Number.isNaN(mj)) hasNaN = true;
      else if (mj > topM || (mj === topM && j < top)) {
        topM = mj;
        top = j;
        if (skip) floor = learn && ub < topM ? ub : topM;
      }
    }
    this.#top = Math.max(top, 0);
    // A NaN visited first stops a learning visit before anything is seen.
    const seen = !(learn && hasNaN) && topM > 0;
    const best = seen ? topM : 0;
    const bestE = seen ? energyOf(w, top * WIDTH, x15, x31) : 0;
    let label = -1;
    let mismatch = true;
    if (learn && !hasNaN) {
      if (topM >= this.ub) {
        for (let j = 0; j < n; j++) {
          const mj = match[j]!;
          if (mj < this.ub) continue;
          this.#learn(j);
          // The last of the categories tied at the top is visited last and gives the label.
          if (mj === topM) label = this.#labels[j]!;
        }
        mismatch = false;
      } else if (topM >= this.lb) {
        label = this.#labels[top]!;
        this.#used[top] = this.#stamp;
        this.#add(x, label);
        mismatch = false;
      }
    }
    this.best = best;
    this.bestE = bestE;
    if (mismatch && learn) {
      this.#add(x, ++this.#clusters);
      label = -1;
    }
    return label;
  }

  toJSON(): DvfaData {
    return {
      lb: this.lb,
      ub: this.ub,
      w: float64ToBase64(this.#w.subarray(0, this.#n * WIDTH)),
      labels: Array.from(this.#labels.subarray(0, this.#n)),
      used: Array.from(this.#used.subarray(0, this.#n)),
      clusters: this.#clusters,
      stamp: this.#stamp,
    };
  }

  /** Fast learning: W_j = min(x, W_j). */
  #learn(j: number): void {
    const o = j * WIDTH;
    const w = this.#w;
    const x = X;
    for (let i = 0; i < WIDTH; i++) if (x[i]! < w[o + i]!) w[o + i] = x[i]!;
    this.#derive(j);
    this.#used[j] = this.#stamp;
  }

  /** A new category with weights `x` (all ones when null); at capacity it replaces the stalest. */
  #add(x: Float64Array | null, label: number): void {
    let j = this.#n;
    if (j >= this.#capacity) {
      j = 0;
      for (let k = 1; k < this.#n; k++) if (this.#used[k]! < this.#used[j]!) j = k;
    } else {
      if (j === this.#labels.length) this.#grow(j * 2);
      this.#n++;
    }
    const o = j * WIDTH;
    if (x) this.#w.set(x, o);
    else this.#w.fill(1, o, o + WIDTH);
    this.#derive(j);
    this.#labels[j] = label;
    this.#used[j] = this.#stamp;
  }

  /** Recomputes category j's derived numbers; its weight sum adds left to right, as ARTime. */
  #derive(j: number): void {
    const w = this.#w;
    const o = j * WIDTH;
    const d = this.#derived;
    const t = j * DERIVED;
    d[t + WS] = rowSum(w, o);
    let tail = 0;
    let near = true;
    for (let i = 0; i < WIDTH; i++) if (!(w[o + i]! >= -1 && w[o + i]! <= 2)) near = false;
    for (let i = 8; i < WIDTH; i++) tail += w[o + i]!;
    // SLACK assumes weights near [0, 1] (as learning keeps them); a NaN tail cuts nothing short.
    d[t + T8] = near ? tail : Number.NaN;
  }

  #grow(cap: number): void {
    const w = new Float64Array(cap * WIDTH);
    w.set(this.#w);
    this.#w = w;
    const derived = new Float64Array(cap * DERIVED);
    derived.set(this.#derived);
    this.#derived = derived;
    const used = new Float64Array(cap);
    used.set(this.#used);
    this.#used = used;
    const l = new Int32Array(cap);
    l.set(this.#labels);
    this.#labels = l;
  }

  /**
   * Rescales the level half of every category (features 8..15 and their complements) by
   * u' = a·u + b, used when the strict-mode range widens. The Haar half is scale-free.
   */
  remapLevels(a: number, b: number): void {
    const w = this.#w;
    for (let j = 0; j < this.#n; j++) {
      const o = j * WIDTH;
      for (let i = FEATURES / 2; i < FEATURES; i++) {
        const lo = clamp01(a * w[o + i]! + b);
        const hi = clamp01(a * (1 - w[o + FEATURES + i]!) + b);
        w[o + i] = lo;
        w[o + FEATURES + i] = 1 - hi;
      }
      this.#derive(j);
    }
  }
}

/**
 * An upper bound on a category's match fs³·es² from its sum `s` of the first terms and `tail`,
 * the sum of its weights after them. Each later term min(xᵢ, wᵢ) is at most wᵢ, so the full sum
 * is at most s + tail up to rounding (SLACK); and fs ≤ 1 exactly, since the full sum and the
 * weight sum `ws` (> 0) add terms each no larger, in the same order, and rounding is monotone. The
 * bound is computed as the match is, so monotone rounding keeps the match at or under it; a NaN
 * or infinite energy gives NaN or ∞, which cuts nothing short.
 */
function bound(s: number, tail: number, ws: number, es: number): number {
  let f = (s + tail + SLACK) / ws;
  if (f > 1) f = 1;
  else if (f < 0) f = 0;
  return f * f * f * (es * es);
}

/**
 * The smaller of two numbers neither of which is NaN: Math.min but for the sign it gives a zero
 * (irrelevant to sums that start at +0), and measurably faster in the category search.
 */
function lesser(a: number, b: number): number {
  // biome-ignore lint/complexity/useMathMinMax: Math.min's NaN and -0 handling is slower here
  return a < b ? a : b;
}

/** A category's match fs³·es² in full, as ARTime computes it (the sample in X). */
function fullMatch(w: Float64Array, o: number, ws: number, es: number): number {
  let s = 0;
  for (let i = 0; i < WIDTH; i++) s += Math.min(X[i]!, w[o + i]!);
  const fs = s / (ws === 0 ? 0.001 : ws);
  return fs * fs * fs * (es * es);
}

/** Energy of the category at offset o (ARTime's es), as `present` computes it. */
function energyOf(w: Float64Array, o: number, x15: number, x31: number): number {
  const a = w[o + FEATURES - 1]!;
  const b = w[o + WIDTH - 1]!;
  return (Math.min(x15, a) + Math.min(x31, b)) / (a + b);
}

function rowSum(w: Float64Array, o: number): number {
  let s = 0;
  for (let i = 0; i < WIDTH; i++) s += w[o + i]!;
  return s;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : Math.min(x, 1);
}
