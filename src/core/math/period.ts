/**
 * Period detection by autocorrelation. The series is scaled into [−1, 1] (so nothing overflows),
 * linearly detrended, and its autocorrelation r(l) computed directly for lags up to `maxPeriod`
 * (unbiased: each lag averaged over its own overlap). A lag is a candidate when r(l) is a local
 * maximum, at least `threshold`, and the ACF dipped at least 0.2 below it at a shorter lag (so a
 * trend or random walk, whose ACF only decays, has no period). Of the candidates, the shortest one
 * within 90% of the strongest wins, so a harmonic of the true period is not chosen.
 */

/** Returns the detected period in samples, or 0 when there is none. */
export function detectPeriod(
  values: ArrayLike<number>,
  minPeriod: number,
  maxPeriod: number,
  threshold: number,
): number {
  const n = values.length;
  const maxLag = Math.min(maxPeriod, Math.floor(n / 2) - 1);
  if (maxLag < minPeriod || maxLag < 2) return 0;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(values[i]!));
  if (!(scale > 0)) return 0;
  const y = new Float64Array(n);
  let mi = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    y[i] = values[i]! / scale;
    mi += i;
    my += y[i]!;
  }
  mi /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - mi) * (y[i]! - my);
    sxx += (i - mi) * (i - mi);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  let energy = 0;
  for (let i = 0; i < n; i++) {
    y[i] = y[i]! - my - slope * (i - mi);
    energy += y[i]! * y[i]!;
  }
  energy /= n;
  if (!(energy > 1e-24)) return 0;
  const acf = new Float64Array(maxLag + 2);
  for (let l = 1; l <= maxLag + 1; l++) {
    let s = 0;
    for (let i = 0; i + l < n; i++) s += y[i]! * y[i + l]!;
    acf[l] = s / (n - l) / energy;
  }
  let best = 0;
  let bestR = Number.NEGATIVE_INFINITY;
  const cands: number[] = [];
  let dip = acf[1]!;
  for (let l = 2; l <= maxLag; l++) {
    dip = Math.min(dip, acf[l]!);
    const r = acf[l]!;
    if (l < minPeriod || r < threshold || r < acf[l - 1]! || r < acf[l + 1]! || dip > r - 0.2) continue;
    cands.push(l);
    if (r > bestR) {
      bestR = r;
      best = l;
    }
  }
  if (best === 0) return 0;
  for (const l of cands) if (acf[l]! >= 0.9 * bestR) return l;
  return best;
}
