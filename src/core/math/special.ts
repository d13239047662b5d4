/**
 * Special functions accurate to a few ulps, for calibration steps whose outputs are compared
 * exactly (anomaly likelihood) or live deep in the tails (p-values near 1e-5). The light detectors
 * use the cheaper `normal.ts` approximation instead.
 */

const SQRT_PI = Math.sqrt(Math.PI);

/**
 * Complementary error function. |x| < 1.5: power series of erf, e^{-x²}·Σ (2x²)^n / (2n+1)!!;
 * otherwise the continued fraction erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + (2/2)/(x + …))),
 * evaluated backwards from a fixed depth.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const a = Math.abs(x);
  if (a < 1.5) return 1 - erfSeries(x);
  if (a > 27.3) return x > 0 ? 0 : 2;
  const r = continuedFraction(a);
  return x > 0 ? r : 2 - r;
}

/** Error function with the same accuracy as `erfc`. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const a = Math.abs(x);
  if (a < 1.5) return erfSeries(x);
  if (a > 27.3) return x > 0 ? 1 : -1;
  const r = continuedFraction(a);
  return x > 0 ? 1 - r : r - 1;
}

function erfSeries(x: number): number {
  const x2 = x * x;
  // Horner form of S = 1 + (2x²/3)(1 + (2x²/5)(1 + …)), innermost term first; acc holds 2·S.
  let acc = 0;
  for (let k = 25; k >= 1; k--) acc = 2 + (x2 * acc) / (k + 0.5);
  return (x * Math.exp(-x2) * acc) / SQRT_PI;
}

function continuedFraction(a: number): number {
  // Convergence is slowest near the 1.5 cut-over; depths chosen for ~1e-15 relative error.
  let t = 0;
  for (let n = a < 2 ? 240 : a < 3 ? 120 : a < 5 ? 60 : 30; n >= 1; n--) t = n / 2 / (a + t);
  return Math.exp(-a * a) / SQRT_PI / (a + t);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) s += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** Regularised lower incomplete gamma P(a, x): series below a + 1, continued fraction above. */
export function gammaP(a: number, x: number): number {
  if (!(x > 0)) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  const lnPrefix = a * Math.log(x) - x - lnGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 500; n++) {
      term *= x / (a + n);
      sum += term;
      if (term < sum * 1e-16) break;
    }
    return Math.min(1, sum * Math.exp(lnPrefix));
  }
  // Modified Lentz for the continued fraction of Q(a, x).
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let n = 1; n < 500; n++) {
    const an = -n * (n - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.max(0, 1 - Math.exp(lnPrefix) * h);
}

/** CDF of the chi-square distribution with `df` degrees of freedom. */
export function chiSquareCdf(x: number, df: number): number {
  return gammaP(df / 2, x / 2);
}
