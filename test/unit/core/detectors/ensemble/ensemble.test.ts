import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { ensembleDetector } from '../../../../../src/core/detectors/ensemble/ensemble.ts';
import type { DetectorFactory } from '../../../../../src/core/detectors/index.ts';
import { DetectorRegistry } from '../../../../../src/core/detectors/index.ts';

/** A stub whose score is always `value`, and whose band is around `band` (none when negative). */
const fixed: DetectorFactory<{ value: number; band: number }> = {
  name: 'fixed',
  version: 1,
  description: 'test stub',
  params: Type.Object({ value: Type.Number({ default: 0 }), band: Type.Number({ default: -1 }) }),
  defaults: { value: 0, band: -1 },
  create: (p) => ({
    score: () => {
      const e = p.band < 0 ? Number.NaN : p.band;
      return { score: p.value, expected: e, lower: e - 1, upper: e + 1 };
    },
    update: () => {},
    snapshot: () => ({ detector: 'fixed', version: 1, data: null }),
  }),
};

function registry(): DetectorRegistry {
  const r = new DetectorRegistry();
  return r.register(fixed).register(ensembleDetector(r));
}

describe('ensemble', () => {
  const members = [
    { name: 'fixed', params: { value: 0.2 } },
    { name: 'fixed', params: { value: 0.9, band: 5 }, weight: 0.5 },
    { name: 'fixed', params: { value: 0.6, band: 7 } },
  ];

  it('combines by weighted max or weighted mean; the band is the first member that has one', () => {
    const max = registry().create('ensemble', { detectors: members, combine: 'max' }).score(0, 0);
    expect(max).toEqual({ score: 0.6, expected: 5, lower: 4, upper: 6 });
    const mean = registry().create('ensemble', { detectors: members, combine: 'mean' }).score(0, 0);
    expect(mean.score).toBeCloseTo((0.2 + 0.45 + 0.6) / 2.5, 15);
  });

  it('rejects a bad member, a bad weight, and a state of other members', () => {
    expect(() => registry().create('ensemble', { detectors: [{ name: 'nope' }] })).toThrow(
      /unknown detector/,
    );
    expect(() => registry().create('ensemble', { detectors: [{ name: 'fixed', weight: -1 }] })).toThrow(
      /detectors\.0\.weight/,
    );
    const state = registry().create('ensemble', { detectors: members }).snapshot();
    expect(() => registry().create('ensemble', { detectors: members.slice(1) }, state)).toThrow(/3 members/);
  });
});
