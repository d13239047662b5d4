/**
 * The sliding window TSB-AD derives from a series' autocorrelation (its `find_length_rank` rule,
 * rank 1), used as VUS-PR's largest buffer: over the first 20,000 points, the lag in [6, 303]
 * of the highest strict local maximum of the autocorrelation among lags 3…400; 125 when there is
 * none or it lies outside that span (also for a constant series).
 */

export const DEFAULT_WINDOW = 125;
const PREFIX = 20_000;
const MIN_LAG = 3;
const MAX_LAG = 400;

/** The dominant period of `values` by the rule above. O(min(n, 20,000) · 400). */
export function dominantPeriod(values: ArrayLike<number>): number {
  const n = Math.min(values.length, PREFIX);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i]!;
  mean /= Math.max(n, 1);
  const x = new Float64Array(n);
  let energy = 0;
  for (let i = 0; i < n; i++) {
    x[i] = values[i]! - mean;
    energy += x[i]! * x[i]!;
  }
  const top = Math.min(MAX_LAG, n - 1);
  if (energy === 0 || top < MIN_LAG + 2) return DEFAULT_WINDOW;
  const acf = new Float64Array(top + 1);
  for (let lag = MIN_LAG; lag <= top; lag++) {
    let s = 0;
    for (let t = 0; t + lag < n; t++) s += x[t]! * x[t + lag]!;
    acf[lag] = s / energy;
  }
  let bestLag = -1;
  for (let lag = MIN_LAG + 1; lag < top; lag++) {
    const r = acf[lag]!;
    if (r > acf[lag - 1]! && r > acf[lag + 1]! && (bestLag < 0 || r > acf[bestLag]!)) bestLag = lag;
  }
  return bestLag < 2 * MIN_LAG || bestLag > 300 + MIN_LAG ? DEFAULT_WINDOW : bestLag;
}
