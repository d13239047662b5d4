import { describe, expect, it } from 'vitest';
import { builtinDetectors } from '../../../../../src/core/detectors/index.ts';
import { generalStream } from '../fixtures.ts';

const registry = builtinDetectors();

describe('likelihood wrapper', () => {
  it('validates inner params through the registry, naming the inner field', () => {
    expect(() => registry.create('likelihood', { inner: 'ewma', innerParams: { alpha: 2 } })).toThrow(
      /ewma\.alpha/,
    );
    expect(() => registry.create('likelihood', { inner: 'nope' })).toThrow(/unknown detector "nope"/);
  });

  it('scores 0.0301… through probation (L + E records), then calibrated values', () => {
    const d = registry.create('likelihood', {
      inner: 'ewma',
      learningPeriod: 50,
      estimationSamples: 50,
      spatialTolerance: 0,
    });
    const s = generalStream(400, 1);
    const scores = s.values.map((v, i) => d.step!(s.ts[i]!, v).score);
    expect(new Set(scores.slice(0, 100).map((x) => x.toFixed(10)))).toEqual(new Set(['0.0301029997']));
    expect(new Set(scores.slice(100)).size).toBeGreaterThan(50);
  });

  it('takes L and E from NAB hints', () => {
    const d = registry.create('likelihood', { inner: 'ewma', spatialTolerance: 0 }, undefined, {
      probationaryLength: 31,
    });
    const s = generalStream(40, 1);
    const scores = s.values.map((v, i) => d.step!(s.ts[i]!, v).score);
    expect(scores[30]).toBeCloseTo(0.0301029997, 9);
    expect(scores[31]).not.toBeCloseTo(0.0301029997, 9);
  });

  it("overrides to 1 beyond all earlier values by spatialTolerance × their range (NAB's HTM rule)", () => {
    const d = registry.create('likelihood', { inner: 'ewma', spatialTolerance: 0.05 });
    for (const v of [10, 20, 15]) d.update(0, v);
    expect(d.score(0, 20.4).score).toBeLessThan(1);
    expect(d.score(0, 20.6).score).toBe(1);
    expect(d.score(0, 9.4).score).toBe(1);
  });

  it('passes the inner band through and refuses a state of another inner detector', () => {
    const d = registry.create('likelihood', { inner: 'robust-z' });
    const s = generalStream(100, 2);
    for (let i = 0; i < 99; i++) d.update(s.ts[i]!, s.values[i]!);
    const inner = registry.create('robust-z');
    for (let i = 0; i < 99; i++) inner.update(s.ts[i]!, s.values[i]!);
    const a = d.score(s.ts[99]!, s.values[99]!);
    const b = inner.score(s.ts[99]!, s.values[99]!);
    expect([a.expected, a.lower, a.upper]).toEqual([b.expected, b.lower, b.upper]);
    expect(() => registry.create('likelihood', { inner: 'ewma' }, d.snapshot())).toThrow(/robust-z/);
  });
});
