import { describe, expect, it } from 'vitest';
import { detectPeriod } from '../../../../src/core/math/period.ts';
import { gaussian, prng } from '../detectors/fixtures.ts';

function series(n: number, f: (i: number, g: () => number) => number, seed = 1): Float64Array {
  const g = gaussian(prng(seed));
  return Float64Array.from({ length: n }, (_, i) => f(i, g));
}

describe('detectPeriod', () => {
  it('finds the period of a noisy sine, with trend and offset', () => {
    expect(
      detectPeriod(
        series(1024, (i, g) => 5 * Math.sin((2 * Math.PI * i) / 48) + g()),
        4,
        340,
        0.3,
      ),
    ).toBe(48);
    expect(
      detectPeriod(
        series(1024, (i, g) => 1e9 + 0.5 * i + 20 * Math.sin((2 * Math.PI * i) / 100) + 3 * g()),
        4,
        340,
        0.3,
      ),
    ).toBe(100);
  });

  it('returns the fundamental, not a harmonic, for a square wave', () => {
    expect(
      detectPeriod(
        series(1024, (i, g) => (i % 60 < 30 ? 0 : 10) + 0.5 * g()),
        4,
        340,
        0.3,
      ),
    ).toBe(60);
  });

  it('finds none in noise, a random walk, a trend, or a constant', () => {
    expect(
      detectPeriod(
        series(1024, (_, g) => g()),
        4,
        340,
        0.3,
      ),
    ).toBe(0);
    let x = 0;
    expect(
      detectPeriod(
        series(1024, (_, g) => (x += g())),
        4,
        340,
        0.3,
      ),
    ).toBe(0);
    expect(
      detectPeriod(
        series(1024, (i) => 3 * i),
        4,
        340,
        0.3,
      ),
    ).toBe(0);
    expect(
      detectPeriod(
        series(1024, () => 7),
        4,
        340,
        0.3,
      ),
    ).toBe(0);
  });

  it('stays finite on huge values', () => {
    expect(
      detectPeriod(
        series(600, (i, g) => 1e306 * Math.sin(i / 5) + 1e305 * g()),
        4,
        200,
        0.3,
      ),
    ).toBe(31);
  });
});
