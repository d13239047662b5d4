import { describe, expect, it } from 'vitest';
import { alarmRate } from '../../../../../src/core/bench/nab/alarm-rate.ts';

const HOUR = 3_600_000;
const file = (name: string, length: number, windows: { start: number; end: number }[]) => ({
  name,
  length,
  windows,
  ts: Float64Array.from({ length }, (_, i) => i * HOUR),
});

describe('alarmRate', () => {
  it('counts flagged points inside and outside windows, per series-day, and the windows hit', () => {
    // 49 hourly rows = 2 days; windows 10–12 and 30–33.
    const a = file('a', 49, [
      { start: 10, end: 12 },
      { start: 30, end: 33 },
    ]);
    const s = new Float64Array(49);
    s[5] = 0.9; // outside
    s[11] = 0.5; // inside the first window: at the threshold counts
    s[12] = 0.7; // same window again
    s[13] = 0.49; // under the threshold
    s[34] = 1; // just after the second window: outside, and the second window is missed
    // 25 hourly rows = 1 day, one window 20–24, hit by its last row.
    const b = file('b', 25, [{ start: 20, end: 24 }]);
    const t = new Float64Array(25);
    t[24] = 0.6;
    const r = alarmRate([a, b], [s, t], 0.5);
    expect(r).toEqual({
      threshold: 0.5,
      flagged: 5,
      outside: 2,
      seriesDays: 3,
      outsidePerSeriesDay: 2 / 3,
      windowsHit: 2,
      windows: 3,
    });
  });

  it('counts a flagged point in a file without windows as outside, and NaN per day without time', () => {
    const r = alarmRate([file('c', 1, [])], [[1]], 0.5);
    expect(r.flagged).toBe(1);
    expect(r.outside).toBe(1);
    expect(r.seriesDays).toBe(0);
    expect(r.outsidePerSeriesDay).toBeNaN();
  });
});
