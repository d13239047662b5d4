/**
 * Dual-vigilance fuzzy ART (DVFA) over complement-coded 16-feature vectors, as ARTime uses it
 * (docs: /work/shared/research/detectors.md §1.4). Categories only ever grow; each is a 32-wide
 * weight row and a cluster label. Arithmetic order follows the description exactly (left-to-right
 * sums, fs³·es²), because ARTime's outputs are reproduced bit for bit.
 */

export const FEATURES = 16;
const WIDTH = 2 * FEATURES;

export interface DvfaData {
  lb: number;
  ub: number;
  /** Category weights, row-major, WIDTH per category. */
  w: number[];
  labels: number[];
  clusters: number;
}

export class Dvfa {
  /** Lower and upper vigilance. */
  lb: number;
  ub: number;
  /** Best match and its energy of the last presentation (ARTime's A and Ae entries). */
  best = 0;
  bestE = 0;
  #w: Float64Array;
  #wSum: Float64Array;
  #labels: Int32Array;
  #n = 0;
  #clusters = 0;
  // Scratch, reused on every presentation.
  readonly #x = new Float64Array(WIDTH);
  #m = new Float64Array(0);
  #e = new Float64Array(0);
  #order = new Int32Array(0);

  constructor(lb: number, ub: number, data?: DvfaData) {
    this.lb = data?.lb ?? lb;
    this.ub = data?.ub ?? ub;
    const n = data ? data.labels.length : 0;
    this.#w = new Float64Array(Math.max(16, n) * WIDTH);
    this.#wSum = new Float64Array(Math.max(16, n));
    this.#labels = new Int32Array(Math.max(16, n));
    if (data) {
      this.#w.set(data.w);
      this.#labels.set(data.labels);
      this.#n = n;
      this.#clusters = data.clusters;
      for (let j = 0; j < n; j++) this.#wSum[j] = rowSum(this.#w, j * WIDTH);
    }
  }

  get categories(): number {
    return this.#n;
  }

  /**
   * Presents `f` (16 values in [0, 1]); returns the resonating cluster label, or -1 when the
   * sample is novel (no category passes the lower vigilance). Sets `best` and `bestE`.
   */
  present(f: ArrayLike<number>, learn: boolean): number {
    const x = this.#x;
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
    if (this.#m.length < n) {
      this.#m = new Float64Array(this.#w.length / WIDTH);
      this.#e = new Float64Array(this.#m.length);
    }
    const match = this.#m;
    const energy = this.#e;
    const w = this.#w;
    for (let j = 0; j < n; j++) {
      const o = j * WIDTH;
      let s = 0;
      for (let i = 0; i < WIDTH; i++) {
        const wi = w[o + i]!;
        s += x[i]! < wi ? x[i]! : wi;
      }
      const ws = this.#wSum[j]!;
      const fs = s / (ws === 0 ? 0.001 : ws);
      const a = w[o + FEATURES - 1]!;
      const b = w[o + WIDTH - 1]!;
      const es = ((x[FEATURES - 1]! < a ? x[FEATURES - 1]! : a) + (x[WIDTH - 1]! < b ? x[WIDTH - 1]! : b)) / (a + b);
      match[j] = fs * fs * fs * (es * es);
      energy[j] = es;
    }
    const order = this.#sorted(n);
    let best = 0;
    let bestE = 0;
    let label = -1;
    let mismatch = true;
    for (let k = 0; k < n; k++) {
      const j = order[k]!;
      const mj = match[j]!;
      if (mj > best) {
        best = mj;
        bestE = energy[j]!;
      }
      if (!learn) continue;
      if (mj >= this.ub) {
        this.#learn(j);
        if (mj >= best) label = this.#labels[j]!;
        mismatch = false;
      } else if (mj >= this.lb && mismatch) {
        label = this.#labels[j]!;
        this.#add(x, label);
        mismatch = false;
        break;
      } else {
        break;
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
      w: Array.from(this.#w.subarray(0, this.#n * WIDTH)),
      labels: Array.from(this.#labels.subarray(0, this.#n)),
      clusters: this.#clusters,
    };
  }

  /** Category indices by decreasing match; NaN first (as Julia orders it), ties by lower index. */
  #sorted(n: number): Int32Array {
    if (this.#order.length < n) this.#order = new Int32Array(this.#m.length);
    const order = this.#order.subarray(0, n);
    for (let j = 0; j < n; j++) order[j] = j;
    const m = this.#m;
    return order.sort((a, b) => {
      const ma = m[a]!;
      const mb = m[b]!;
      if (ma === mb) return a - b;
      if (Number.isNaN(ma)) return Number.isNaN(mb) ? a - b : -1;
      if (Number.isNaN(mb)) return 1;
      return ma > mb ? -1 : 1;
    });
  }

  /** Fast learning: W_j = min(x, W_j). */
  #learn(j: number): void {
    const o = j * WIDTH;
    const w = this.#w;
    const x = this.#x;
    for (let i = 0; i < WIDTH; i++) if (x[i]! < w[o + i]!) w[o + i] = x[i]!;
    this.#wSum[j] = rowSum(w, o);
  }

  /** A new category with weights `x` (all ones when null). */
  #add(x: Float64Array | null, label: number): void {
    if (this.#n === this.#labels.length) {
      const cap = this.#n * 2;
      const w = new Float64Array(cap * WIDTH);
      w.set(this.#w);
      this.#w = w;
      const ws = new Float64Array(cap);
      ws.set(this.#wSum);
      this.#wSum = ws;
      const l = new Int32Array(cap);
      l.set(this.#labels);
      this.#labels = l;
    }
    const o = this.#n * WIDTH;
    if (x) this.#w.set(x, o);
    else this.#w.fill(1, o, o + WIDTH);
    this.#wSum[this.#n] = rowSum(this.#w, o);
    this.#labels[this.#n] = label;
    this.#n++;
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
      this.#wSum[j] = rowSum(w, o);
    }
  }
}

function rowSum(w: Float64Array, o: number): number {
  let s = 0;
  for (let i = 0; i < WIDTH; i++) s += w[o + i]!;
  return s;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
