import { describe, expect, it } from 'vitest';
import { probationaryLength } from '../../../../../src/core/bench/nab/probation.ts';

describe('probationaryLength', () => {
  it('is floor(0.15·n), capped at 750 rows', () => {
    expect(probationaryLength(4032)).toBe(604);
    expect(probationaryLength(1127)).toBe(169);
    expect(probationaryLength(4999)).toBe(749);
    expect(probationaryLength(5000)).toBe(750);
    expect(probationaryLength(22695)).toBe(750);
    expect(probationaryLength(6)).toBe(0);
    expect(probationaryLength(0)).toBe(0);
  });
});
