/** Normal-distribution helpers used by several detectors. */

/** erf(x) by Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7). */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-a * a);
  return sign * y;
}

/** Two-sided tail confidence: P(|Z| < |z|) for a standard normal Z, in [0, 1). */
export function twoSidedConfidence(z: number): number {
  return erf(Math.abs(z) / Math.SQRT2);
}
