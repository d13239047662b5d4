import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SortedWindow } from '../../../../../src/core/detectors/robust-z/sorted-window.ts';

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : s[h - 1]! / 2 + s[h]! / 2;
}

describe('SortedWindow', () => {
  it('matches brute-force median, MAD and arrival order after every push', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        // Small integers make ties (MAD 0, duplicated evictions) common.
        fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), {
          maxLength: 200,
        }),
        (capacity, values) => {
          const w = new SortedWindow(capacity);
          for (let i = 0; i < values.length; i++) {
            w.push(values[i]!);
            const win = values.slice(Math.max(0, i + 1 - capacity), i + 1);
            expect(w.values()).toEqual(win);
            const m = median(win);
            // `+ 0` folds -0 into 0: with both in a window, which one sorts to the middle is arbitrary.
            expect(w.median() + 0).toBe(m + 0);
            expect(w.mad(m) + 0).toBe(median(win.map((x) => Math.abs(x - m))) + 0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('restores from its values', () => {
    const w = new SortedWindow(5, [9, 1, 8, 2, 7, 3]);
    expect(w.values()).toEqual([1, 8, 2, 7, 3]);
    expect(w.median()).toBe(3);
  });
});
