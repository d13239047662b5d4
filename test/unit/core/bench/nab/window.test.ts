import { describe, expect, it } from 'vitest';
import { assertWindows, windowsFromAnomalies } from '../../../../../src/core/bench/nab/window.ts';

describe('windowsFromAnomalies', () => {
  it('centres a window of int(0.1·n/k) rows, odd width, on each anomaly', () => {
    // n = 4032, k = 1: L = 403, ±201 → 403 rows.
    expect(windowsFromAnomalies(4032, [2000], 604)).toEqual([{ start: 1799, end: 2201 }]);
    // k = 2: L = int(201.6) = 201, ±100.
    expect(windowsFromAnomalies(4032, [3000, 1000], 604)).toEqual([
      { start: 900, end: 1100 },
      { start: 2900, end: 3100 },
    ]);
  });

  it('clips to the file and has no windows without anomalies', () => {
    expect(windowsFromAnomalies(1000, [990], 150)).toEqual([{ start: 940, end: 999 }]);
    expect(windowsFromAnomalies(1000, [], 150)).toEqual([]);
  });

  it('drops the first window when it starts inside the probationary period', () => {
    // n = 1000, k = 2: L = 50, ±25. The window of 170 starts at 145 < 150.
    expect(windowsFromAnomalies(1000, [170, 600], 150)).toEqual([{ start: 575, end: 625 }]);
    expect(windowsFromAnomalies(1000, [175, 600], 150)).toEqual([
      { start: 150, end: 200 },
      { start: 575, end: 625 },
    ]);
  });

  it('merges windows that touch or overlap, and keeps adjacent ones apart', () => {
    // n = 18050, k = 2 (the asg file of SCORING.md §2): L = 902, ±451, clipped at the end.
    expect(windowsFromAnomalies(18050, [17002, 17814], 750)).toEqual([{ start: 16551, end: 18049 }]);
    // n = 1000, k = 2: ±25. 500/550 touch at row 525; 500/551 are adjacent but disjoint.
    expect(windowsFromAnomalies(1000, [500, 550], 150)).toEqual([{ start: 475, end: 575 }]);
    expect(windowsFromAnomalies(1000, [500, 551], 150)).toEqual([
      { start: 475, end: 525 },
      { start: 526, end: 576 },
    ]);
  });
});

describe('assertWindows', () => {
  it('accepts sorted disjoint windows inside the file and rejects the rest', () => {
    expect(() =>
      assertWindows(10, [
        { start: 0, end: 2 },
        { start: 3, end: 9 },
      ]),
    ).not.toThrow();
    expect(() =>
      assertWindows(10, [
        { start: 3, end: 5 },
        { start: 5, end: 6 },
      ]),
    ).toThrow(/windows\[1\]/);
    expect(() => assertWindows(10, [{ start: 4, end: 10 }])).toThrow(RangeError);
    expect(() => assertWindows(10, [{ start: 4, end: 3 }])).toThrow(RangeError);
  });
});
