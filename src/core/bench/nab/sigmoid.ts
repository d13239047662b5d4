/** NAB's scaled sigmoid, which weighs a detection by its position relative to a label window. */

/** σ(y) = 2/(1+e^(5y)) − 1 for y ≤ 3, and −1 beyond (NAB cuts the tail off there). */
export function scaledSigmoid(y: number): number {
  if (y > 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

/** σ(−1): the value at a window's first row, which inside-window weights are divided by. */
export const SIGMOID_MAX = scaledSigmoid(-1);
