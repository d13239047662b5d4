/**
 * The metric of KNN-CAD: d(a, b) = (a − b)ᵀ G⁻¹ (a − b) with G = XᵀX over the training windows
 * (non-centred, as NAB's knncad). With G = LLᵀ (Cholesky) that is ‖L⁻¹a − L⁻¹b‖², so every
 * window is whitened once (y = L⁻¹x) and distances become plain squared Euclidean ones.
 */

/**
 * Cholesky factor L (row-major, lower) of G = Σ rows xxᵀ over `rows` windows of width `dim`
 * stored from `x` (ring of `cap` windows starting at `head`). Null when G is not numerically
 * positive definite (e.g. a flat series): callers keep the previous metric, as NAB does when the
 * inversion fails.
 */
export function choleskyOfGram(
  x: Float64Array,
  head: number,
  rows: number,
  cap: number,
  dim: number,
): Float64Array | null {
  const g = new Float64Array(dim * dim);
  for (let r = 0; r < rows; r++) {
    const o = ((head + r) % cap) * dim;
    for (let i = 0; i < dim; i++) {
      const xi = x[o + i]!;
      for (let j = 0; j <= i; j++) g[i * dim + j] += xi * x[o + j]!;
    }
  }
  let trace = 0;
  for (let i = 0; i < dim; i++) trace += g[i * dim + i]!;
  const tol = trace * 1e-12;
  const l = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j <= i; j++) {
      let s = g[i * dim + j]!;
      for (let k = 0; k < j; k++) s -= l[i * dim + k]! * l[j * dim + k]!;
      if (i === j) {
        if (!(s > tol)) return null;
        l[i * dim + i] = Math.sqrt(s);
      } else {
        l[i * dim + j] = s / l[j * dim + j]!;
      }
    }
  }
  return l;
}

/** y = L⁻¹x by forward substitution; x at `xo`, y written at `yo`. */
export function whiten(
  l: Float64Array,
  dim: number,
  x: ArrayLike<number>,
  xo: number,
  y: Float64Array,
  yo: number,
): void {
  for (let i = 0; i < dim; i++) {
    let s = x[xo + i]!;
    for (let k = 0; k < i; k++) s -= l[i * dim + k]! * y[yo + k]!;
    y[yo + i] = s / l[i * dim + i]!;
  }
}

/** The identity factor: the Euclidean metric used before the first estimate. */
export function identity(dim: number): Float64Array {
  const l = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) l[i * dim + i] = 1;
  return l;
}
