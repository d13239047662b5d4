import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scoreCorpus } from '../../../../../src/core/bench/nab/corpus-score.ts';
import type { NabFile } from '../../../../../src/core/bench/nab/nab-file.ts';
import { normaliseScore, scoreRange } from '../../../../../src/core/bench/nab/normalise.ts';
import { NAB_PROFILES } from '../../../../../src/core/bench/nab/profile.ts';
import {
  NO_DETECTION_THRESHOLD,
  rankRows,
  sweepThresholds,
} from '../../../../../src/core/bench/nab/threshold-sweep.ts';

const [standard] = NAB_PROFILES;

describe('sweepThresholds', () => {
  it('picks the largest threshold among exact ties', () => {
    // 20 rows, probation 3, window [10, 14]. Row 10 at 0.8 hits the window; row 12 at 0.6 adds
    // nothing, so S(0.8) = S(0.6) = 1 and 0.8 wins.
    const file: NabFile = { name: 'f.csv', length: 20, windows: [{ start: 10, end: 14 }] };
    const scores = new Array(20).fill(0.1);
    scores[10] = 0.8;
    scores[12] = 0.6;
    const sweep = sweepThresholds(rankRows([file], [scores]), standard!);
    expect([...sweep.thresholds]).toEqual([NO_DETECTION_THRESHOLD, 0.8, 0.6, 0.1]);
    expect([...sweep.scores.subarray(0, 3)]).toEqual([-1, 1, 1]);
    expect(sweep).toMatchObject({ threshold: 0.8, score: 1 });
  });

  it('returns 1.1 when detecting anything only costs', () => {
    const file: NabFile = { name: 'f.csv', length: 20, windows: [] };
    const sweep = sweepThresholds(rankRows([file], [new Array(20).fill(0.5)]), standard!);
    expect(sweep).toMatchObject({ threshold: 1.1, score: 0 });
  });

  it('equals a brute-force rescoring at every candidate, and finds the maximum', () => {
    const corpus = fc
      .array(
        fc.record({
          length: fc.integer({ min: 8, max: 60 }),
          anchors: fc.uniqueArray(fc.double({ min: 0.2, max: 1, noNaN: true }), { maxLength: 4 }),
          widths: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 4, maxLength: 4 }),
          seed: fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 60, maxLength: 60 }),
        }),
        { minLength: 1, maxLength: 3 },
      )
      .map((specs) =>
        specs.map(({ length, anchors, widths, seed }, f) => {
          const windows: { start: number; end: number }[] = [];
          for (const [k, a] of [...anchors].sort((x, y) => x - y).entries()) {
            const start = Math.floor(a * (length - 1));
            const end = Math.min(start + widths[k]! - 1, length - 1);
            if (start > (windows.at(-1)?.end ?? -1)) windows.push({ start, end });
          }
          // Few distinct values, so ties are common.
          const scores = Array.from({ length }, (_, i) => seed[i]! / 7);
          return { file: { name: `f${f}.csv`, length, windows } as NabFile, scores };
        }),
      );
    fc.assert(
      fc.property(corpus, fc.constantFrom(...NAB_PROFILES), (items, profile) => {
        const files = items.map((x) => x.file);
        const scores = items.map((x) => x.scores);
        const sweep = sweepThresholds(rankRows(files, scores), profile);
        let best = Number.NEGATIVE_INFINITY;
        sweep.thresholds.forEach((theta, c) => {
          const s = scoreCorpus(files, scores, profile, theta).score;
          expect(sweep.scores[c]).toBeCloseTo(s, 12);
          best = Math.max(best, s);
        });
        expect(sweep.score).toBeCloseTo(best, 12);
        expect(scoreCorpus(files, scores, profile, sweep.threshold).score).toBeCloseTo(best, 12);
      }),
      { numRuns: 200, seed: 42 },
    );
  });
});

describe('scoreRange and normaliseScore', () => {
  it('maps the null detector to 0 and the perfect one to 100', () => {
    const files: NabFile[] = [
      {
        name: 'a.csv',
        length: 40,
        windows: [
          { start: 10, end: 14 },
          { start: 30, end: 33 },
        ],
      },
      { name: 'b.csv', length: 40, windows: [] },
    ];
    for (const profile of NAB_PROFILES) {
      const range = scoreRange(files, profile);
      expect(range).toEqual({ perfect: 2 * profile.tpWeight, null: -2 * profile.fnWeight });
      expect(normaliseScore(range.null, range)).toBe(0);
      expect(normaliseScore(range.perfect, range)).toBe(100);
    }
    // Standard: 100·(S + 2)/4.
    expect(normaliseScore(0, scoreRange(files, standard!))).toBe(50);
  });
});
