import { describe, expect, it } from 'vitest';
import { scoreCorpus } from '../../../../../src/core/bench/nab/corpus-score.ts';
import { scoreFile } from '../../../../../src/core/bench/nab/file-score.ts';
import type { NabFile } from '../../../../../src/core/bench/nab/nab-file.ts';
import { NAB_PROFILES } from '../../../../../src/core/bench/nab/profile.ts';

const [standard, lowFp, lowFn] = NAB_PROFILES;

// 20 rows: probation floor(0.15·20) = 3; windows [5, 7] and [12, 13].
const file: NabFile = {
  name: 'cat/f.csv',
  length: 20,
  windows: [
    { start: 5, end: 7 },
    { start: 12, end: 13 },
  ],
};
const detected = [1, 6, 7, 9, 16, 17];
const scores = Array.from({ length: 20 }, (_, i) => (detected.includes(i) ? 0.9 : 0.1));

describe('scoreFile', () => {
  it('counts the earliest detection per window, each FP on its own, and −A_FN per missed window', () => {
    const s = scoreFile(file, scores, standard!, 0.5);
    // Row 1 is probationary. Window 1 is hit first at row 6 (y = −2/3); row 7 adds nothing.
    // FPs: row 9 (y = 1), row 16 (y = 3), row 17 (y = 4: full cost). Window 2 is missed.
    expect(s.score).toBeCloseTo(
      0.9437422611978673 - 0.10852757279665734 - 0.10999993270151008 - 0.11 - 1,
      14,
    );
    expect(s.score).toBeCloseTo(-0.38478524430030014, 14);
    expect({ tp: s.tp, fn: s.fn, fp: s.fp, tn: s.tn }).toEqual({ tp: 2, fn: 3, fp: 3, tn: 9 });
  });

  it('applies each profile: A_FP doubles for low-FP, A_FN doubles for low-FN', () => {
    expect(scoreFile(file, scores, lowFp!, 0.5).score).toBeCloseTo(
      0.9437422611978673 - 2 * (0.10852757279665734 + 0.10999993270151008 + 0.11) - 1,
      14,
    );
    expect(scoreFile(file, scores, lowFn!, 0.5).score).toBeCloseTo(-0.38478524430030014 - 1, 14);
  });

  it('detects at score ≥ θ exactly, and nothing above every score', () => {
    expect(scoreFile(file, scores, standard!, 0.9).score).toBe(scoreFile(file, scores, standard!, 0.5).score);
    const none = scoreFile(file, scores, standard!, 1.1);
    expect(none.score).toBe(-2);
    expect({ tp: none.tp, fn: none.fn, fp: none.fp, tn: none.tn }).toEqual({ tp: 0, fn: 5, fp: 0, tn: 12 });
    // θ below every score: every scorable row is a detection; both windows are hit on their first row.
    expect(scoreFile(file, scores, standard!, 0).tp).toBe(5);
    expect(scoreFile(file, scores, standard!, 0).score).toBeCloseTo(2 + sumOfFpWeights(), 12);
  });

  it('ignores windows that lie wholly in the probationary period', () => {
    const early: NabFile = { name: 'e.csv', length: 20, windows: [{ start: 0, end: 2 }] };
    expect(scoreFile(early, new Array(20).fill(0), standard!, 0.5)).toMatchObject({
      score: 0,
      fn: 0,
      tn: 17,
    });
  });

  it('charges the full A_FP for FPs in a file without windows', () => {
    const quiet: NabFile = { name: 'q.csv', length: 20, windows: [] };
    const s = scoreFile(quiet, scores, standard!, 0.5);
    expect(s.score).toBeCloseTo(-0.11 * 5, 14);
    expect(s.fp).toBe(5);
  });
});

describe('scoreCorpus', () => {
  it('sums the files and their counts, and rejects scores outside [0, 1]', () => {
    const c = scoreCorpus([file, file], [scores, scores], standard!, 0.5);
    expect(c.score).toBeCloseTo(2 * -0.38478524430030014, 14);
    expect(c.tp + c.fn + c.fp + c.tn).toBe(34);
    expect(() => scoreCorpus([file], [scores.map((s) => s * 2)], standard!, 0.5)).toThrow(
      /row 1.*not in \[0, 1\]/,
    );
    expect(() => scoreCorpus([file], [[0.5]], standard!, 0.5)).toThrow(/1 scores for 20 rows/);
  });
});

/** All rows outside windows from 3 on detected, for the θ = 0 case: rows 3, 4 before any window. */
function sumOfFpWeights(): number {
  const s = (y: number) => (y > 3 ? -1 : -Math.tanh(2.5 * y));
  let total = -0.11 * 2; // rows 3, 4
  for (let i = 8; i <= 11; i++) total += 0.11 * s((i - 7) / 2);
  for (let i = 14; i <= 19; i++) total += 0.11 * s((i - 13) / 1);
  return total;
}
