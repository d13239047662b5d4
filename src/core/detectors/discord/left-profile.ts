/**
 * An exact streaming left matrix profile over a bounded history: for each new value, the
 * z-normalised correlation of the subsequence of length m ending there with its nearest
 * neighbour among the subsequences that end between `history` and `m` values earlier (the
 * exclusion zone: no neighbour overlaps it, so trivial matches cannot hide a discord).
 *
 * Cost per value O(history + m·history/REFRESH): the dot products QT[j] of the newest subsequence
 * with every candidate are updated along their diagonals (the STOMP recurrence, Zhu et al. 2016:
 * QT_e[j] = QT_{e−1}[j−1] − v[e−m]·v[j−m] + v[e]·v[j]), and the z-normalised correlation is
 * (QT − m·μ_e·μ_j) / (m·σ_e·σ_j), with each subsequence's μ and σ computed once, directly. A
 * diagonal's rounding error grows with every step, so each diagonal is recomputed directly every
 * REFRESH steps (when its candidate's absolute end index is a multiple of REFRESH).
 *
 * Flat subsequences (σ ≈ 0) have no shape: a flat one matches a flat one exactly (correlation 1)
 * and anything else not at all (correlation 0), the convention of the matrix-profile literature.
 *
 * Storage: values, μ, 1/σ and QT in linear arrays of about twice the retained length, compacted
 * when full. Snapshots hold the values and QT of the retained part; μ and 1/σ are recomputed,
 * bit for bit, on restore.
 */
import { base64ToFloat64, float64ToBase64 } from '../state-codec.ts';

/** Steps between direct recomputations of one diagonal's dot product. */
const REFRESH = 128;
/** Correlation reported when there is no candidate yet. */
export const NO_NEIGHBOUR = Number.NaN;

export interface LeftProfileState {
  /** Values pushed so far (absolute index of the next one). */
  total: number;
  /** The retained values, oldest first, ending at the last one pushed. */
  values: string;
  /** QT of the newest subsequence against the candidate ending at the same position; 0 elsewhere. */
  qt: string;
}

export class LeftProfile {
  readonly m: number;
  readonly history: number;
  /** Values retained: every candidate of the next subsequence and the values before it that the recurrence reads. */
  readonly #keep: number;
  #v: Float64Array;
  #mu: Float64Array;
  /** 1/σ of each subsequence, 0 for a flat one. */
  #isd: Float64Array;
  #qt: Float64Array;
  /** Where a score-only push writes its QT. */
  readonly #scratch: Float64Array;
  /** Absolute index of position 0 of the arrays. */
  #base = 0;
  #len = 0;

  constructor(m: number, history: number, state?: LeftProfileState) {
    this.m = m;
    this.history = history;
    this.#keep = history + m;
    const cap = 2 * this.#keep;
    this.#v = new Float64Array(cap);
    this.#mu = new Float64Array(cap);
    this.#isd = new Float64Array(cap);
    this.#qt = new Float64Array(cap);
    this.#scratch = new Float64Array(cap + 1);
    if (state !== undefined) this.#restore(state);
  }

  /** Values pushed so far. */
  get total(): number {
    return this.#base + this.#len;
  }

  /**
   * The correlation (−1…1) of the subsequence ending with `u` with its nearest left neighbour, or
   * NO_NEIGHBOUR while there is none. With `commit`, `u` joins the history; without, nothing changes.
   */
  push(u: number, commit: boolean): number {
    if (commit && this.#len === this.#v.length) this.#compact();
    const m = this.m;
    const e = this.total;
    const pe = this.#len;
    if (e < m - 1) {
      if (commit) this.#append(u, 0, 0, pe);
      return NO_NEIGHBOUR;
    }
    const v = this.#v;
    const [mu, isd] = stats(v, pe - m + 1, m, u);
    const hi = e - m;
    const lo = Math.max(m - 1, e - this.history);
    if (hi < lo) {
      if (commit) this.#append(u, mu, isd, pe);
      return NO_NEIGHBOUR;
    }
    // The previous step's candidates, whose QT the recurrence extends.
    const prevLo = Math.max(m - 1, e - 1 - this.history);
    const base = this.#base;
    const qt = this.#qt;
    const mus = this.#mu;
    const isds = this.#isd;
    // Without `commit`, the new QT go to scratch space and the history stays as it was.
    const target = commit ? qt : this.#scratch;
    const out = v[pe - m] ?? 0;
    const mmu = m * mu;
    let best = Number.NEGATIVE_INFINITY;
    // The lowest candidate whose QT the recurrence can extend (the others are computed directly).
    const recFrom = Math.max(lo, prevLo + 1);
    // Descending, so that QT[j−1] is read before this step overwrites it.
    let j = hi;
    while (j >= lo) {
      const r = j % REFRESH;
      if (j < recFrom || r === 0) {
        const p = j - base;
        const q = dot(v, pe - m + 1, p - m + 1, m, u);
        target[p] = q;
        const c = (q - mmu * mus[p]!) * isds[p]!;
        if (c > best) best = c;
        j--;
        continue;
      }
      // A run of recurrences down to just above the next diagonal refresh.
      const stop = Math.max(recFrom, j - r + 1) - base;
      for (let p = j - base; p >= stop; p--) {
        const q = qt[p - 1]! - out * v[p - m]! + u * v[p]!;
        target[p] = q;
        const c = (q - mmu * mus[p]!) * isds[p]!;
        if (c > best) best = c;
      }
      j = stop + base - 1;
    }
    if (commit) this.#append(u, mu, isd, pe);
    // A flat subsequence correlates 1 with a flat candidate and 0 with any other.
    if (isd === 0) {
      for (let p = lo - base; p <= hi - base; p++) if (isds[p] === 0) return 1;
      return 0;
    }
    return Math.min(1, Math.max(-1, (best * isd) / m));
  }

  snapshot(): LeftProfileState {
    const n = Math.min(this.#len, this.#keep);
    const from = this.#len - n;
    const qt = new Float64Array(n);
    // Only the candidates of the last subsequence pushed hold a current QT.
    const e = this.total - 1;
    const lo = Math.max(this.m - 1, e - this.history);
    for (let j = lo; j <= e - this.m; j++) qt[j - this.#base - from] = this.#qt[j - this.#base]!;
    return {
      total: this.total,
      values: float64ToBase64(this.#v.slice(from, this.#len)),
      qt: float64ToBase64(qt),
    };
  }

  #restore(state: LeftProfileState): void {
    const values = base64ToFloat64(state.values);
    const qt = base64ToFloat64(state.qt);
    const n = Math.min(values.length, this.#keep);
    const skip = values.length - n;
    this.#v.set(values.subarray(skip));
    this.#qt.set(qt.subarray(skip));
    this.#len = n;
    this.#base = state.total - n;
    for (let p = this.m - 1; p < n; p++) {
      const [mu, isd] = stats(this.#v, p - this.m + 1, this.m, this.#v[p]!);
      this.#mu[p] = mu;
      this.#isd[p] = isd;
    }
  }

  #append(u: number, mu: number, isd: number, p: number): void {
    this.#v[p] = u;
    this.#mu[p] = mu;
    this.#isd[p] = isd;
    this.#len = p + 1;
  }

  /** Drops all but the last `keep` values (amortised O(1) per value). */
  #compact(): void {
    const drop = this.#len - this.#keep;
    for (const a of [this.#v, this.#mu, this.#isd, this.#qt]) a.copyWithin(0, drop, this.#len);
    this.#base += drop;
    this.#len = this.#keep;
  }
}

/**
 * μ and 1/σ (0 when flat) of v[from … from+m−2] followed by `last`, computed directly in two
 * passes, in one fixed order, so a restore recomputes them bit for bit.
 */
function stats(v: Float64Array, from: number, m: number, last: number): [number, number] {
  let sum = last;
  for (let k = 0; k < m - 1; k++) sum += v[from + k]!;
  const mu = sum / m;
  let ss = (last - mu) * (last - mu);
  for (let k = 0; k < m - 1; k++) {
    const d = v[from + k]! - mu;
    ss += d * d;
  }
  const sd = Math.sqrt(ss / m);
  // Flat relative to its level: rounding leaves a σ of about 1e-16·|μ| on a constant stretch.
  return [mu, sd <= 1e-8 * Math.max(1, Math.abs(mu)) ? 0 : 1 / sd];
}

/** Dot product of v[a … a+m−2]·v[b … b+m−2] plus `last`·v[b+m−1]: the newest subsequence against one candidate. */
function dot(v: Float64Array, a: number, b: number, m: number, last: number): number {
  let s = last * v[b + m - 1]!;
  for (let k = 0; k < m - 1; k++) s += v[a + k]! * v[b + k]!;
  return s;
}
