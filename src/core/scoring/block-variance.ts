/**
 * The variance of a stream's recent values, kept as moments of blocks instead of the values: each
 * block of `block` consecutive records (by record index: block k holds records k·block … k·block
 * + block − 1) keeps its mean and sum of squared deviations (Welford's update), and a window's
 * variance combines the blocks in it pairwise (Chan, Golub and LeVeque's rule), which is as stable
 * as a two-pass sum. It holds enough blocks for a window of `span` records: 2 floats per block
 * instead of `block` values.
 *
 * A window "from record a on" takes the blocks that start at or after a, so it starts up to
 * block − 1 records late (the block holding a is used alone when no later block exists).
 */
import { base64ToFloat64, float64ToBase64 } from '../detectors/state-codec.ts';

export interface BlockVarianceData {
  /** Records seen. */
  n: number;
  /** (mean, m2) of each kept block, oldest first, the last one the block being filled (float64, base64). */
  moments: string;
}

export class BlockVariance {
  readonly #block: number;
  readonly #mean: Float64Array;
  readonly #m2: Float64Array;
  #n = 0;
  /** Index of the oldest block whose moments are complete from its first record. */
  #oldest = 0;

  constructor(block: number, span: number, data?: BlockVarianceData) {
    this.#block = Math.max(1, block);
    const cap = Math.ceil(Math.max(1, span) / this.#block) + 1;
    this.#mean = new Float64Array(cap);
    this.#m2 = new Float64Array(cap);
    if (data !== undefined) {
      const m = base64ToFloat64(data.moments);
      const kept = m.length / 2;
      this.#n = data.n;
      this.#oldest = kept === 0 ? Math.ceil(data.n / this.#block) : this.#blockOf(data.n - 1) - kept + 1;
      for (let i = 0; i < kept; i++) {
        const slot = (this.#oldest + i) % cap;
        this.#mean[slot] = m[2 * i]!;
        this.#m2[slot] = m[2 * i + 1]!;
      }
    }
  }

  /** Moments starting at record `n` (no earlier data): a block cut by `n` is left out. */
  static startingAt(block: number, span: number, n: number): BlockVariance {
    const b = new BlockVariance(block, span);
    b.#n = n;
    b.#oldest = Math.ceil(n / b.#block);
    return b;
  }

  push(x: number): void {
    const k = this.#blockOf(this.#n);
    const i = this.#n - k * this.#block;
    this.#n++;
    if (k < this.#oldest) return;
    const slot = k % this.#mean.length;
    if (i === 0) {
      this.#mean[slot] = x;
      this.#m2[slot] = 0;
    } else {
      const d = x - this.#mean[slot]!;
      this.#mean[slot]! += d / (i + 1);
      this.#m2[slot]! += d * (x - this.#mean[slot]!);
    }
    this.#oldest = Math.max(this.#oldest, k - this.#mean.length + 1);
  }

  /** Population variance of the records from `from` on (see above); NaN when there are none. */
  variance(from: number): number {
    if (this.#n === 0) return Number.NaN;
    const last = this.#blockOf(this.#n - 1);
    const first = Math.max(this.#oldest, Math.min(Math.ceil(from / this.#block), last));
    const cap = this.#mean.length;
    let n = 0;
    let mean = 0;
    let m2 = 0;
    for (let k = first; k <= last; k++) {
      const nb = k === last ? this.#n - k * this.#block : this.#block;
      const mb = this.#mean[k % cap]!;
      const total = n + nb;
      const d = mb - mean;
      mean += (d * nb) / total;
      m2 += this.#m2[k % cap]! + (d * d * n * nb) / total;
      n = total;
    }
    return n === 0 ? Number.NaN : m2 / n;
  }

  toJSON(): BlockVarianceData {
    const cap = this.#mean.length;
    const first = this.#n === 0 ? 0 : this.#oldest;
    const last = this.#n === 0 ? -1 : this.#blockOf(this.#n - 1);
    const m = new Float64Array(2 * Math.max(0, last - first + 1));
    for (let k = first; k <= last; k++) {
      m[2 * (k - first)] = this.#mean[k % cap]!;
      m[2 * (k - first) + 1] = this.#m2[k % cap]!;
    }
    return { n: this.#n, moments: float64ToBase64(m) };
  }

  #blockOf(record: number): number {
    return Math.floor(record / this.#block);
  }
}
