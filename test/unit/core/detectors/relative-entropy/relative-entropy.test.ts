import { describe, expect, it } from 'vitest';
import { relativeEntropy } from '../../../../../src/core/detectors/relative-entropy/relative-entropy.ts';
import { gaussian, prng } from '../fixtures.ts';

describe('relative-entropy', () => {
  it('is quiet on its usual distribution and alarms when the distribution changes', () => {
    const d = relativeEntropy.create(relativeEntropy.defaults);
    const g = gaussian(prng(8));
    const scores: number[] = [];
    for (let i = 0; i < 2000; i++) scores.push(d.step!(i, (i < 1500 ? 1 : 4) * g()).score);
    const before = scores.slice(500, 1500).sort((a, b) => a - b);
    expect(before[Math.floor(0.5 * before.length)]).toBeLessThan(0.9);
    expect(Math.max(...scores.slice(1500, 1560))).toBeGreaterThan(0.999);
  });

  it('holds at most maxHypotheses histograms', () => {
    const d = relativeEntropy.create({ ...relativeEntropy.defaults, maxHypotheses: 4 });
    const g = gaussian(prng(9));
    for (let i = 0; i < 3000; i++) d.update(i, Math.floor(i / 200) * 3 + g() * (1 + (i % 7)));
    const { hist, seen } = d.snapshot().data as { hist: number[][]; seen: number[] };
    expect(hist.length).toBeLessThanOrEqual(4);
    expect(seen.length).toBe(hist.length);
  });
});
