/**
 * A sliding window of the last `capacity` values, kept both in arrival order (a ring, which is what
 * snapshots store) and sorted (for order statistics). Evict-and-insert is one binary search and
 * one insertion-sort pass between the two slots (O(w) but short); median and MAD are O(log w).
 */
export class SortedWindow {
  readonly capacity: number;
  readonly #ring: Float64Array;
  readonly #sorted: Float64Array;
  #head = 0;
  #size = 0;

  constructor(capacity: number, values: readonly number[] = []) {
    this.capacity = capacity;
    this.#ring = new Float64Array(capacity);
    this.#sorted = new Float64Array(capacity);
    for (const v of values.slice(-capacity)) this.push(v);
  }

  get size(): number {
    return this.#size;
  }

  push(x: number): void {
    const s = this.#sorted;
    if (this.#size < this.capacity) {
      this.#ring[(this.#head + this.#size) % this.capacity] = x;
      const at = lowerBound(s, this.#size, x);
      for (let i = this.#size; i > at; i--) s[i] = s[i - 1]!;
      s[at] = x;
      this.#size++;
      return;
    }
    // Full: x takes the evicted value's slot and sinks or rises to its place, one insertion-sort
    // pass; the run is short and its branch predictable, unlike a second binary search.
    const old = this.#ring[this.#head]!;
    this.#ring[this.#head] = x;
    this.#head = this.#head + 1 === this.capacity ? 0 : this.#head + 1;
    let i = lowerBound(s, this.#size, old);
    while (i > 0 && s[i - 1]! > x) {
      s[i] = s[i - 1]!;
      i--;
    }
    const last = this.#size - 1;
    while (i < last && s[i + 1]! < x) {
      s[i] = s[i + 1]!;
      i++;
    }
    s[i] = x;
  }

  /** Values in arrival order, oldest first. */
  values(): number[] {
    const out: number[] = new Array(this.#size);
    for (let i = 0; i < this.#size; i++) out[i] = this.#ring[(this.#head + i) % this.capacity]!;
    return out;
  }

  median(): number {
    const s = this.#sorted;
    const c = this.#size;
    const h = c >> 1;
    return c % 2 === 1 ? s[h]! : s[h - 1]! / 2 + s[h]! / 2;
  }

  /**
   * Median absolute deviation from `med` (which MUST be this window's median). The deviations of
   * the lower half, read downwards, and of the upper half, read upwards, are two ascending runs;
   * their k-th smallest merged element is found by binary search.
   */
  mad(med: number): number {
    const c = this.#size;
    const h = c >> 1;
    return c % 2 === 1 ? this.#kth(h, med, h, false) : this.#kth(h - 1, med, h, true);
  }

  /** Mean absolute deviation from `m`, O(w); the fallback scale when over half the window is tied. */
  meanAbsDev(m: number): number {
    let sum = 0;
    for (let i = 0; i < this.#size; i++) sum += Math.abs(this.#sorted[i]! - m);
    return sum / this.#size;
  }

  /**
   * k-th (0-based) smallest of A[i] = med − s[h−1−i] (i < h) and B[j] = s[h+j] − med (j < c−h);
   * with `pair`, the mean of the k-th and (k+1)-th, the latter being the smaller of the next
   * element of either run once the k-th is found.
   */
  #kth(k: number, med: number, h: number, pair: boolean): number {
    const s = this.#sorted;
    const m = h;
    const n = this.#size - h;
    let lo = Math.max(0, k + 1 - n);
    let hi = Math.min(k + 1, m);
    while (lo < hi) {
      const i = (lo + hi) >> 1;
      const j = k + 1 - i;
      // Take more from A while its next element is below the last one taken from B.
      if (med - s[h - 1 - i]! < s[h + j - 1]! - med) lo = i + 1;
      else hi = i;
    }
    const j = k + 1 - lo;
    const a = lo > 0 ? med - s[h - lo]! : Number.NEGATIVE_INFINITY;
    const b = j > 0 ? s[h + j - 1]! - med : Number.NEGATIVE_INFINITY;
    const kth = Math.max(a, b);
    if (!pair) return kth;
    const na = lo < m ? med - s[h - 1 - lo]! : Number.POSITIVE_INFINITY;
    const nb = j < n ? s[h + j]! - med : Number.POSITIVE_INFINITY;
    return kth / 2 + Math.min(na, nb) / 2;
  }
}

/** First index in s[0, n) whose value is ≥ x. Branch-free halving: the compare feeds a select. */
function lowerBound(s: Float64Array, n: number, x: number): number {
  if (n === 0) return 0;
  let base = 0;
  let len = n;
  while (len > 1) {
    const half = len >> 1;
    base = s[base + half]! < x ? base + half : base;
    len -= half;
  }
  return s[base]! < x ? base + 1 : base;
}
