/**
 * Guards that keep detector state finite for any finite input. Ingest accepts every finite float64,
 * so differences of two values can overflow (1.7e308 − (−1.7e308)) and squares overflow from about
 * 1e154; a state that turns Infinity or NaN is lost on checkpoint (JSON writes both as null).
 */

/** Inputs are clamped to ±1e306 inside detectors: any difference or ten-fold sum of them is still finite. */
export const VALUE_LIMIT = 1e306;

export function tame(x: number): number {
  return x > VALUE_LIMIT ? VALUE_LIMIT : Math.max(x, -VALUE_LIMIT);
}

/** Clamps ±Infinity to ±Number.MAX_VALUE, for band edges; NaN passes through (it means "no band"). */
export function finiteOrNaN(x: number): number {
  return x > Number.MAX_VALUE ? Number.MAX_VALUE : Math.max(x, -Number.MAX_VALUE);
}

/** √(a² + b²) without overflow: the plain form when it is finite, Math.hypot otherwise. */
export function hypot2(a: number, b: number): number {
  const s = a * a + b * b;
  return s < Number.POSITIVE_INFINITY ? Math.sqrt(s) : Math.hypot(a, b);
}

/** z of `x` against (mean, sd); sd 0 makes any departure infinitely surprising (score 1), none 0. */
export function zScore(x: number, mean: number, sd: number): number {
  const d = x - mean;
  if (sd > 0) return d / sd;
  return d === 0 ? 0 : d > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}
