import { describe, expect, it } from 'vitest';
import { UCR_TOLERANCE, ucrTop1 } from '../../../../../src/core/bench/ranking/ucr-top1.ts';

/** 1,000 points of score 0 with a single 1 at `at`. */
function peakAt(at: number): Float64Array {
  const s = new Float64Array(1000);
  s[at] = 1;
  return s;
}

describe('ucrTop1', () => {
  const anomaly = { start: 500, end: 520 };

  it('solves exactly within [begin − 100, end + 100]', () => {
    expect(UCR_TOLERANCE).toBe(100);
    expect(ucrTop1(peakAt(400), 100, anomaly)).toEqual({ location: 400, ties: 1, solved: true });
    expect(ucrTop1(peakAt(399), 100, anomaly).solved).toBe(false);
    expect(ucrTop1(peakAt(620), 100, anomaly)).toEqual({ location: 620, ties: 1, solved: true });
    expect(ucrTop1(peakAt(621), 100, anomaly).solved).toBe(false);
  });

  it('ignores the training part and takes the earliest of tied top scores', () => {
    const s = peakAt(50); // the highest score overall, but in the training part
    s[700] = 0.5;
    s[510] = 0.5;
    expect(ucrTop1(s, 100, anomaly)).toEqual({ location: 510, ties: 2, solved: true });
    expect(ucrTop1(new Float64Array(1000), 100, anomaly)).toEqual({
      location: 100,
      ties: 900,
      solved: false,
    });
  });

  it('rejects a training part that leaves no test part', () => {
    expect(() => ucrTop1(peakAt(1), 1000, anomaly)).toThrow(/leaves no test part/);
  });
});
