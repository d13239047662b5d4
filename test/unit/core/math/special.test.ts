import { describe, expect, it } from 'vitest';
import { chiSquareCdf, erf, erfc, erfcFast, gammaP, lnGamma } from '../../../../src/core/math/special.ts';

/** Reference values from CPython's math.erfc (correct to an ulp or two). */
const ERFC: [number, number][] = [
  [-3, 1.9999779095030015],
  [-1.4, 1.9522851197626487],
  [-0.5, 1.5204998778130465],
  [0, 1.0],
  [1e-8, 0.9999999887162083],
  [0.3, 0.6713732405408726],
  [1.2, 0.08968602177036465],
  [1.49, 0.03510213515679579],
  [1.5, 0.033894853524689274],
  [1.51, 0.03272325187128836],
  [2, 0.004677734981047265],
  [2.5, 0.0004069520174449589],
  [3, 2.2090496998585438e-5],
  [4, 1.541725790028002e-8],
  [5, 1.5374597944280351e-12],
  [8, 1.1224297172982928e-29],
  [12, 1.3562611692059042e-64],
  [20, 5.3958656116079005e-176],
  [26, 5.663192408856143e-296],
];

describe('erfc / erf', () => {
  it.each(ERFC)('erfc(%d) to 1e-14 relative', (x, want) => {
    expect(Math.abs(erfc(x) - want) / want).toBeLessThan(1e-14);
    expect(Math.abs(erf(x) - (1 - want))).toBeLessThan(1e-15);
  });

  it('saturates without NaN', () => {
    expect(erfc(40)).toBe(0);
    expect(erfc(-40)).toBe(2);
    expect(erfc(Number.POSITIVE_INFINITY)).toBe(0);
    expect(Number.isNaN(erfc(Number.NaN))).toBe(true);
  });
});

describe("erfcFast (Cody's rational approximations)", () => {
  it.each(ERFC)('erfcFast(%d) to 1e-14 relative', (x, want) => {
    expect(Math.abs(erfcFast(x) - want) / want).toBeLessThan(1e-14);
  });

  it('agrees with erfc on a fine grid, across every interval and both signs', () => {
    const worst = (from: number, to: number) => {
      let w = 0;
      for (let x = from; x <= to; x += 1 / 1024 + 1e-7) {
        const want = erfc(x);
        w = Math.max(w, Math.abs(erfcFast(x) - want) / want);
      }
      return w;
    };
    // Down to erfc(6) ≈ 2e-17 (p-values far below any alarm); in the far tail (to 1e-295) the
    // two differ by a few more ulps.
    expect(worst(-6, 6)).toBeLessThan(1e-14);
    expect(worst(6, 26)).toBeLessThan(1e-13);
    expect(erfcFast(0.46875)).toBeCloseTo(erfc(0.46875), 15);
    expect(erfcFast(-4)).toBe(2 - erfcFast(4));
  });

  it('saturates without NaN', () => {
    expect(erfcFast(40)).toBe(0);
    expect(erfcFast(-40)).toBe(2);
    expect(erfcFast(Number.POSITIVE_INFINITY)).toBe(0);
    expect(erfcFast(Number.NEGATIVE_INFINITY)).toBe(2);
    expect(Number.isNaN(erfcFast(Number.NaN))).toBe(true);
  });
});

describe('gamma functions', () => {
  it('lnGamma matches factorials and Γ(1/2) = √π', () => {
    expect(lnGamma(1)).toBeCloseTo(0, 14);
    expect(lnGamma(11)).toBeCloseTo(Math.log(3628800), 12);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 14);
  });

  it('P(a, x) has the closed form 1 − e^−x(1 + x) at a = 2', () => {
    for (const x of [0.1, 1, 2.5, 3, 9.49, 20, 50]) {
      expect(gammaP(2, x)).toBeCloseTo(1 - Math.exp(-x) * (1 + x), 14);
    }
    expect(gammaP(2, 0)).toBe(0);
    expect(gammaP(2, Number.POSITIVE_INFINITY)).toBe(1);
  });

  it('χ² CDF at its textbook critical values', () => {
    expect(chiSquareCdf(3.841458820694124, 1)).toBeCloseTo(0.95, 12);
    expect(chiSquareCdf(13.276704135987622, 4)).toBeCloseTo(0.99, 12);
    expect(chiSquareCdf(18.307038053275146, 10)).toBeCloseTo(0.95, 12);
  });
});
