import { describe, expect, it } from 'vitest';
import { SIGMOID_MAX, scaledSigmoid } from '../../../../../src/core/bench/nab/sigmoid.ts';

describe('scaledSigmoid', () => {
  it('has the key values of SCORING.md §4', () => {
    expect(SIGMOID_MAX).toBe(scaledSigmoid(-1));
    expect(scaledSigmoid(-1)).toBeCloseTo(0.9866142981514305, 15);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.8482836399575131, 15);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(0.5)).toBeCloseTo(-0.8482836399575129, 15);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.9866142981514303, 15);
    expect(scaledSigmoid(3)).toBeCloseTo(-0.9999993881955461, 15);
  });

  it('is cut to −1 beyond y = 3 and equals −tanh(2.5y) up to there', () => {
    expect(scaledSigmoid(3 + 1e-12)).toBe(-1);
    expect(scaledSigmoid(Number.POSITIVE_INFINITY)).toBe(-1);
    for (const y of [-2, -0.7, 0.1, 2.9]) expect(scaledSigmoid(y)).toBeCloseTo(-Math.tanh(2.5 * y), 14);
  });
});
