import { describe, expect, it } from 'vitest';
import { bocpd } from '../../../../../src/core/detectors/bocpd/bocpd.ts';
import { gaussian, prng } from '../fixtures.ts';

describe('bocpd', () => {
  it('puts the probability of a new segment on the first point of a level shift', () => {
    const d = bocpd.create(bocpd.defaults);
    const g = gaussian(prng(6));
    const scores: number[] = [];
    for (let i = 0; i < 1200; i++) {
      const v = (i < 900 ? 50 : 62) + 2 * g();
      scores.push(d.step!(i, v).score);
    }
    const normal = Math.max(...scores.slice(100, 900));
    expect(scores[900]).toBeGreaterThan(0.3);
    expect(scores[900]).toBeGreaterThan(5 * normal);
  });

  it('keeps its run-length distribution a probability distribution', () => {
    const d = bocpd.create(bocpd.defaults);
    const g = gaussian(prng(7));
    for (let i = 0; i < 500; i++) d.update(i, (i % 150 < 75 ? 0 : 5) + g());
    const { prob } = d.snapshot().data as { prob: number[] };
    expect(prob.length).toBe(bocpd.defaults.maxRunLength + 1);
    expect(prob.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});
