import { describe, expect, it } from 'vitest';
import { NAB_PROFILES, profilesFromJson } from '../../../../../src/core/bench/nab/profile.ts';

describe('profilesFromJson', () => {
  it("reads NAB's cost matrices in file order", () => {
    const json = Object.fromEntries(NAB_PROFILES.map(({ name, ...w }) => [name, { CostMatrix: { ...w } }]));
    expect(profilesFromJson(json)).toEqual(NAB_PROFILES);
  });

  it('names the first bad weight', () => {
    expect(() => profilesFromJson({ p: { CostMatrix: { tpWeight: 1, fpWeight: '0.1' } } })).toThrow(
      'profiles.p.CostMatrix.fpWeight: must be a finite number',
    );
    expect(() => profilesFromJson(null)).toThrow(TypeError);
  });
});
