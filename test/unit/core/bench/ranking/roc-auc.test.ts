import { describe, expect, it } from 'vitest';
import { averagePrecision } from '../../../../../src/core/bench/ranking/average-precision.ts';
import { rocAuc } from '../../../../../src/core/bench/ranking/roc-auc.ts';

describe('rocAuc', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one, 0.5 when every score ties', () => {
    expect(rocAuc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0])).toBe(1);
    expect(rocAuc([0.1, 0.2, 0.9, 0.8], [1, 1, 0, 0])).toBe(0);
    expect(rocAuc([0.3, 0.3, 0.3, 0.3], [1, 0, 0, 1])).toBe(0.5);
  });

  it('counts a tied positive–negative pair as one half (average ranks)', () => {
    // Positives 0.8, 0.5; negatives 0.5, 0.3, 0.9. Pairs won: 0.8 beats 0.5 and 0.3 (2);
    // 0.5 beats 0.3 (1) and ties 0.5 (½): 3.5 of 2·3 = 6.
    expect(rocAuc([0.8, 0.5, 0.5, 0.3, 0.9], [1, 1, 0, 0, 0])).toBeCloseTo(3.5 / 6, 15);
  });

  it('is undefined (NaN) without positives or without negatives, and checks lengths', () => {
    expect(rocAuc([0.1, 0.2], [0, 0])).toBeNaN();
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
    expect(() => rocAuc([0.1], [1, 0])).toThrow(/1 scores for 2 labels/);
    expect(() => rocAuc([0.1, Number.NaN], [1, 0])).toThrow(/score 1 is NaN/);
  });
});

describe('averagePrecision', () => {
  it('is the mean precision at each positive for distinct scores', () => {
    // Ranked: +, −, +, −: precision 1 at the first positive, 2/3 at the second.
    expect(averagePrecision([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0])).toBeCloseTo((1 + 2 / 3) / 2, 15);
  });

  it('lets tied points enter together, whatever their order', () => {
    // Scores 0.9 (−), then a tie at 0.5 of one + and one −, then 0.1 (+). Thresholds: 0.9 → R 0;
    // 0.5 → R ½, P 1/3; 0.1 → R 1, P ½. AP = ½·⅓ + ½·½ = 5/12.
    const ap = averagePrecision([0.9, 0.5, 0.5, 0.1], [0, 1, 0, 1]);
    expect(ap).toBeCloseTo(5 / 12, 15);
    expect(averagePrecision([0.9, 0.5, 0.5, 0.1], [0, 0, 1, 1])).toBe(ap);
  });

  it('equals the positives’ share when every score ties, and is NaN without positives', () => {
    expect(averagePrecision([1, 1, 1, 1], [1, 0, 0, 0])).toBeCloseTo(0.25, 15);
    expect(averagePrecision([0.2, 0.1], [0, 0])).toBeNaN();
  });
});
