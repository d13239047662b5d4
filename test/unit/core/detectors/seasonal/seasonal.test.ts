import { describe, expect, it } from 'vitest';
import { type SeasonalDetector, seasonal } from '../../../../../src/core/detectors/seasonal/seasonal.ts';
import { gaussian, prng } from '../fixtures.ts';

const STEP = 5 * 60_000;

describe('seasonal', () => {
  it('finds the period, forecasts the shape, and keeps phase across a gap of missing points', () => {
    const d = seasonal.create(seasonal.defaults) as SeasonalDetector;
    const g = gaussian(prng(4));
    const truth = (slot: number) => 100 + 30 * Math.sin((2 * Math.PI * slot) / 48);
    let slot = 0;
    for (; slot < 1500; slot++) d.update(slot * STEP, truth(slot) + g());
    expect(d.period).toBe(48);
    slot += 17; // 17 points never arrive
    const s = d.score(slot * STEP, truth(slot));
    expect(Math.abs(s.expected - truth(slot))).toBeLessThan(2);
    expect(s.score).toBeLessThan(0.99);
    expect(d.score(slot * STEP, truth(slot) + 15).score).toBeGreaterThan(0.999);
  });

  it('falls back to a level model without a period', () => {
    const d = seasonal.create(seasonal.defaults) as SeasonalDetector;
    const g = gaussian(prng(5));
    for (let i = 0; i < 1500; i++) d.update(i * STEP, 10 + g());
    expect(d.period).toBe(0);
    const s = d.score(1500 * STEP, 10);
    expect(Math.abs(s.expected - 10)).toBeLessThan(0.5);
    expect(s.upper - s.lower).toBeGreaterThan(4);
    expect(s.upper - s.lower).toBeLessThan(12);
  });
});
