/**
 * A sliding window of the last `capacity` values, kept both in arrival order (a ring, which is what
 * snapshots store) and sorted (for order statistics). Insert and evict are a binary search plus
 * one `copyWithin`, O(w) memmove but tiny constants; median and MAD are O(log w).
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
    if (this.#size === this.capacity) {
      const old = this.#ring[this.#head]!;
      const at = lowerBound(s, this.#size, old);
      s.copyWithin(at, at + 1, this.#size);
      this.#size--;
      this.#ring[this.#head] = x;
      this.#head = (this.#head + 1) % this.capacity;
    } else {
      this.#ring[(this.#head + this.#size) % this.capacity] = x;
    }
    const at = lowerBound(s, this.#size, x);
    s.copyWithin(at + 1, at, this.#size);
    s[at] = x;
    this.#size++;
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
    if (c % 2 === 1) return this.#kth(h, med, h);
    return this.#kth(h - 1, med, h) / 2 + this.#kth(h, med, h) / 2;
  }

  /** Mean absolute deviation from `m`, O(w); the fallback scale when over half the window is tied. */
  meanAbsDev(m: number): number {
    let sum = 0;
    for (let i = 0; i < this.#size; i++) sum += Math.abs(this.#sorted[i]! - m);
    return sum / this.#size;
  }

  /** k-th (0-based) smallest of A[i] = med − s[h−1−i] (i < h) and B[j] = s[h+j] − med (j < c−h). */
  #kth(k: number, med: number, h: number): number {
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
    return a > b ? a : b;
  }
}

function lowerBound(s: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
