import { describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW, dominantPeriod } from '../../../../../src/core/bench/ranking/dominant-period.ts';

const wave = (n: number, period: number) =>
  Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * i) / period));

describe('dominantPeriod', () => {
  it('finds the period of a sine from its autocorrelation', () => {
    expect(dominantPeriod(wave(5000, 50))).toBe(50);
    expect(dominantPeriod(wave(30_000, 200))).toBe(200);
  });

  it('falls back to 125 for a period outside [6, 303], a constant or too short a series', () => {
    expect(dominantPeriod(wave(5000, 350))).toBe(DEFAULT_WINDOW);
    expect(dominantPeriod(new Float64Array(1000).fill(3))).toBe(DEFAULT_WINDOW);
    expect(dominantPeriod([1, 2, 3])).toBe(DEFAULT_WINDOW);
  });
});
