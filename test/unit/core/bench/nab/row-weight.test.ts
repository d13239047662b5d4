import { describe, expect, it } from 'vitest';
import { NAB_PROFILES } from '../../../../../src/core/bench/nab/profile.ts';
import { rowWeights } from '../../../../../src/core/bench/nab/row-weight.ts';

const [standard, lowFp] = NAB_PROFILES;

describe('rowWeights', () => {
  it('weighs rows before, inside and after a window (hand-computed with −tanh(2.5y))', () => {
    // 10 rows, window [4, 6] of width 3.
    const { weight, window } = rowWeights(10, [{ start: 4, end: 6 }], standard!);
    expect([...window]).toEqual([-1, -1, -1, -1, 0, 0, 0, -1, -1, -1]);
    expect([...weight.subarray(0, 4)]).toEqual([-0.11, -0.11, -0.11, -0.11]);
    expect(weight[4]).toBe(1); // y = −1: the first row scores exactly A_TP
    expect(weight[5]).toBeCloseTo(0.9437422611978673, 15); // y = −2/3
    expect(weight[6]).toBeCloseTo(0.6915182473196357, 15); // y = −1/3
    expect(weight[7]).toBeCloseTo(-0.09331120039532642, 15); // y = (7−6)/(3−1) = 0.5
    expect(weight[8]).toBeCloseTo(-0.10852757279665734, 15); // y = 1
    expect(weight[9]).toBeCloseTo(-0.1098783886998768, 15); // y = 1.5
  });

  it('scales false positives by the profile and costs the full A_FP beyond 3 widths', () => {
    const { weight } = rowWeights(12, [{ start: 1, end: 2 }], lowFp!);
    expect(weight[1]).toBe(1);
    expect(weight[5]).toBeCloseTo(0.22 * -0.9999993881955461, 15); // y = 3
    expect(weight[6]).toBe(-0.22); // y = 4 > 3
  });

  it('follows only the preceding window and gives the full A_FP to a width-1 window', () => {
    const { weight } = rowWeights(
      8,
      [
        { start: 1, end: 1 },
        { start: 6, end: 7 },
      ],
      standard!,
    );
    expect(weight[1]).toBe(1);
    expect([...weight.subarray(2, 6)]).toEqual([-0.11, -0.11, -0.11, -0.11]);
    expect(weight[6]).toBe(1);
    expect(weight[7]).toBeCloseTo(Math.tanh(1.25) / Math.tanh(2.5), 15); // y = −1/2
  });

  it('gives −A_FP to every row of a file without windows', () => {
    expect([...rowWeights(3, [], standard!).weight]).toEqual([-0.11, -0.11, -0.11]);
  });
});
