import { describe, expect, it } from 'vitest';
import { builtinDetectors } from '../../../../src/core/detectors/index.ts';
import { pipelinesOf } from '../../../../src/core/pipeline/pipelines.ts';
import { logLikelihood } from '../../../../src/core/scoring/likelihood.ts';
import { LiteLikelihood } from '../../../../src/core/scoring/lite-likelihood.ts';
import { generalStream, prng } from './fixtures.ts';

const settings = { learningPeriod: 20, estimationSamples: 30, averagingWindow: 10, horizon: 1000 };

describe('LiteLikelihood', () => {
  it('returns 0.5 through L + E records, then likelihoods; probe equals update without learning', () => {
    const lik = new LiteLikelihood(settings);
    const u = prng(5);
    for (let t = 0; t < 50; t++) expect(lik.update(u(), 0.1 + 0.05 * u())).toBe(0.5);
    for (let t = 0; t < 200; t++) {
      const raw = 0.1 + 0.05 * u();
      const value = u();
      const before = JSON.stringify(lik.toJSON());
      const probed = lik.probe(raw);
      expect(JSON.stringify(lik.toJSON())).toBe(before);
      expect(lik.update(value, raw)).toBe(probed);
    }
  });

  it('tracks the moments of the averaged raw score, and calls a jump in it unlikely', () => {
    const lik = new LiteLikelihood(settings);
    const u = prng(9);
    for (let t = 0; t < 2000; t++) lik.update(u(), 0.1 + 0.05 * (u() - 0.5));
    const d = lik.toJSON();
    expect(d.mean).toBeCloseTo(0.1, 2);
    // A 10-point average of uniform noise of width 0.05 has variance 0.05²/12/10.
    expect(d.variance).toBeGreaterThan(0.5 * (0.0025 / 120));
    expect(d.variance).toBeLessThan(2 * (0.0025 / 120));
    expect(lik.probe(0.1)).toBeLessThan(0.9);
    // A full-surprise record moves the 10-point average far beyond the floored spread.
    expect(lik.probe(1)).toBeGreaterThan(0.99);
  });

  it('clamps a second red tail in a row to yellow, and uses the null distribution on a flat metric', () => {
    const lik = new LiteLikelihood({ ...settings, averagingWindow: 1 });
    const u = prng(2);
    for (let t = 0; t < 500; t++) lik.update(u(), 0.05 * u());
    expect(lik.update(u(), 1)).toBeGreaterThan(1 - 1e-5);
    expect(lik.update(u(), 1)).toBeCloseTo(0.999, 12);
    const flat = new LiteLikelihood({ ...settings, averagingWindow: 1 });
    for (let t = 0; t < 500; t++) flat.update(42, 0.05 * u());
    expect(flat.probe(1)).toBeLessThan(0.6);
  });

  it('keeps its state finite for huge values', () => {
    const lik = new LiteLikelihood(settings);
    for (let t = 0; t < 100; t++) lik.update((t % 2 ? 1 : -1) * 1e306, 0.5);
    const d = lik.toJSON();
    expect(
      Object.values(d)
        .flat()
        .every((x) => Number.isFinite(x)),
    ).toBe(true);
  });
});

describe('the fast preset', () => {
  const pipelines = pipelinesOf(builtinDetectors());
  const fast = pipelines.named('fast');
  const withParams = (calibration: Record<string, unknown>) =>
    pipelines.resolve({ ...fast, calibration: { ...fast.calibration, ...calibration } });

  it('scores the probation at the log of likelihood 0.5, and takes it from NAB hints', () => {
    const s = generalStream(800, 4);
    const run = (hints?: { probationaryLength: number }) => {
      const d = pipelines.create(withParams({ extremeTolerance: 10 }), undefined, hints);
      return s.values.map((v, i) => d.step(s.ts[i]!, v).score);
    };
    const warm = logLikelihood(0.5);
    expect(
      run()
        .slice(0, 600)
        .every((x) => x === warm),
    ).toBe(true);
    const hinted = run({ probationaryLength: 100 });
    expect(hinted.slice(0, 100).every((x) => x === warm)).toBe(true);
    expect(hinted.slice(100, 600).some((x) => x !== warm)).toBe(true);
  });

  it('scores 1 on a new extreme, then damps what follows', () => {
    const d = pipelines.create(fast);
    const s = generalStream(1000, 3);
    let hi = Number.NEGATIVE_INFINITY;
    let lo = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 1000; i++) {
      d.step(s.ts[i]!, s.values[i]!);
      hi = Math.max(hi, s.values[i]!);
      lo = Math.min(lo, s.values[i]!);
    }
    const spike = hi + 0.5 * (hi - lo);
    // 1, damped only by whatever event the noise last raised, long ago.
    expect(d.step(s.ts[999]! + 60_000, spike).score).toBeGreaterThan(0.999);
    const next = d.step(s.ts[999]! + 120_000, spike + (hi - lo));
    expect(next.score).toBeCloseTo(1 - Math.exp(-1 / 30), 12);
    // Damped under the threshold, the point is no longer anomalous.
    expect(next.anomalous).toBe(false);
  });

  it('passes the ensemble band through', () => {
    const d = pipelines.create(fast);
    const wg = builtinDetectors().create('windowed-gaussian');
    const s = generalStream(300, 8);
    for (let i = 0; i < 299; i++) {
      d.step(s.ts[i]!, s.values[i]!);
      wg.update(s.ts[i]!, s.values[i]!);
    }
    const a = d.score(s.ts[299]!, s.values[299]!);
    const b = wg.score(s.ts[299]!, s.values[299]!);
    expect([a.expected, a.lower, a.upper]).toEqual([b.expected, b.lower, b.upper]);
  });
});
