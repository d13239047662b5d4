import { describe, expect, it } from 'vitest';
import type { LabelWindow } from '../../../../../src/core/bench/nab/window.ts';
import { vusPr } from '../../../../../src/core/bench/ranking/vus-pr.ts';

/**
 * The definition applied literally, threshold by threshold (O(n²·L)): soft labels, segments,
 * TPR and precision at each distinct score, step-wise area, mean over ℓ = 0…L.
 */
function naiveVusPr(scores: number[], ranges: LabelWindow[], maxBuffer: number): number {
  const n = scores.length;
  const core = scores.map((_, i) => ranges.some((r) => r.start <= i && i <= r.end));
  const positives = core.filter(Boolean).length;
  const thresholds = [...new Set(scores)].sort((a, b) => b - a);
  let total = 0;
  for (let ell = 0; ell <= maxBuffer; ell++) {
    const h = Math.floor(ell / 2);
    const soft = scores.map((_, i) => {
      if (core[i]) return 1;
      let w = 0;
      for (const r of ranges) {
        if (i > r.end && i - r.end <= h) w += Math.sqrt(1 - (i - r.end) / ell);
        if (i < r.start && r.start - i <= h) w += Math.sqrt(1 - (r.start - i) / ell);
      }
      return Math.min(w, 1);
    });
    const segments: [number, number][] = [];
    for (const r of ranges) {
      const a = Math.max(r.start - h, 0);
      const b = Math.min(r.end + h, n - 1);
      const lastSeg = segments.at(-1);
      if (lastSeg !== undefined && lastSeg[1] >= a) lastSeg[1] = b;
      else segments.push([a, b]);
    }
    let previous = 0;
    let area = 0;
    for (const t of thresholds) {
      const pred = scores.map((s) => s >= t);
      let inside = 0;
      let buffered = 0;
      pred.forEach((p, i) => {
        if (p && core[i]) inside++;
        else if (p) buffered += soft[i]!;
      });
      const tp = inside + buffered;
      const recall = Math.min(tp / (positives + buffered / 2), 1);
      const existing = segments.filter(([a, b]) => pred.slice(a, b + 1).some(Boolean)).length;
      const tpr = (recall * existing) / segments.length;
      area += (tpr - previous) * (tp / pred.filter(Boolean).length);
      previous = tpr;
    }
    total += area;
  }
  return total / (maxBuffer + 1);
}

describe('vusPr', () => {
  it('matches a value derived by hand on an 8-point series', () => {
    // One anomalous point (row 3); the top score sits next to it (row 2), the anomaly second.
    const scores = [0, 0.1, 0.9, 0.5, 0.2, 0.3, 0.4, 0.05];
    const ranges = [{ start: 3, end: 3 }];
    // ℓ = 0 and 1 (no buffer): TPR 0 at the top score, 1 at the second where precision is ½.
    // ℓ = 2: rows 2 and 4 get √(1 − 1/2) = w. At the top score TP = w, recall = w/(1 + w/2),
    // existence 1, precision w; at the second TPR = 1 (recall capped), precision (1 + w)/2.
    const w = Math.SQRT1_2;
    const tpr0 = w / (1 + w / 2);
    const ap2 = tpr0 * w + (1 - tpr0) * ((1 + w) / 2);
    expect(vusPr(scores, ranges, 0)).toBeCloseTo(0.5, 15);
    expect(vusPr(scores, ranges, 2)).toBeCloseTo((0.5 + 0.5 + ap2) / 3, 15);
    expect(vusPr(scores, ranges, 2)).toBeCloseTo(0.5923495, 7);
  });

  it('is 1 when the labelled points score highest and no buffer is used', () => {
    expect(vusPr([0.1, 0.9, 0.9, 0.2], [{ start: 1, end: 2 }], 1)).toBe(1);
  });

  it('agrees with the literal definition: ties, merged and capped buffers, clipped edges', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const cases: { scores: number[]; ranges: LabelWindow[]; L: number }[] = [
      // Ranges two apart: their buffers meet (capped at 1) and form one segment from ℓ = 2.
      {
        scores: [0.2, 0.7, 0.1, 0.7, 0.3, 0.7, 0.05, 0.2, 0.9, 0.1],
        ranges: [
          { start: 2, end: 2 },
          { start: 4, end: 5 },
        ],
        L: 6,
      },
      // A range at each edge of the series.
      {
        scores: [0.9, 0.1, 0.2, 0.3, 0.2, 0.1, 0.4, 0.8],
        ranges: [
          { start: 0, end: 1 },
          { start: 7, end: 7 },
        ],
        L: 5,
      },
    ];
    for (let c = 0; c < 20; c++) {
      const n = 20 + Math.floor(random() * 40);
      // Scores on a coarse grid so that many tie.
      const scores = Array.from({ length: n }, () => Math.floor(random() * 6) / 5);
      const ranges: LabelWindow[] = [];
      for (let i = Math.floor(random() * 5); i < n; i += 4 + Math.floor(random() * 12)) {
        const end = Math.min(i + Math.floor(random() * 4), n - 1);
        ranges.push({ start: i, end });
        i = end;
      }
      cases.push({ scores, ranges, L: Math.floor(random() * 12) });
    }
    for (const { scores, ranges, L } of cases) {
      expect(vusPr(scores, ranges, L)).toBeCloseTo(naiveVusPr(scores, ranges, L), 12);
    }
  });

  it('is NaN without ranges and rejects a bad buffer or a range outside the series', () => {
    expect(vusPr([0.1, 0.2], [], 3)).toBeNaN();
    expect(() => vusPr([0.1, 0.2], [{ start: 0, end: 0 }], -1)).toThrow(/maxBuffer -1/);
    expect(() => vusPr([0.1, 0.2], [{ start: 1, end: 2 }], 1)).toThrow(/outside 2 points/);
  });
});
