import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  downsampleColumns,
  downsampleParts,
  MIN_BLOCKS_PER_BUCKET,
  type RangePart,
} from '../../../src/core/downsample.ts';
import type { ScoredPoint } from '../../../src/core/point.ts';
import { PointColumns } from '../../../src/core/point-columns.ts';
import { buildRollup, ROLE_ANOMALOUS, ROLE_MAX, ROLE_MIN } from '../../../src/core/rollup.ts';
import { referenceDownsample } from '../../helpers/downsample-reference.ts';

const pt = (ts: number, value: number, anomalous = false): ScoredPoint => ({
  ts,
  value,
  score: value / 10,
  expected: value + 1,
  lower: value - 2,
  upper: value + 2,
  anomalous,
});

describe('buildRollup', () => {
  it("keeps each block's first lowest and first highest row, whole, and every anomalous row", () => {
    const c = PointColumns.of([
      pt(1, 5),
      pt(2, 1),
      pt(3, 9),
      pt(4, 1, true), // block 0: min row 1 (first of ties), max row 2, anomalous row 3
      pt(5, 7),
      pt(6, 7), // block 1: min = max candidates; first of ties: row 4 both
    ]);
    const r = buildRollup(c, 4)!;
    expect(r.rows).toBe(6);
    expect([...r.firstTs]).toEqual([1, 5]);
    expect([...r.lastTs]).toEqual([4, 6]);
    expect([...r.repStart]).toEqual([0, 3, 4]);
    expect(r.reps.toPoints()).toEqual([pt(2, 1), pt(3, 9), pt(4, 1, true), pt(5, 7)]);
    expect([...r.role]).toEqual([ROLE_MIN, ROLE_MAX, ROLE_ANOMALOUS, ROLE_MIN | ROLE_MAX]);
  });

  it('is undefined for rows out of ts order or none', () => {
    expect(buildRollup(PointColumns.of([pt(2, 1), pt(1, 1)]), 4)).toBeUndefined();
    expect(buildRollup(new PointColumns(1), 4)).toBeUndefined();
  });
});

/** Sorted points (ties in ts and value possible, a few anomalous) cut into parts, some rolled up. */
const scenario = fc
  .record({
    steps: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 200, maxLength: 3000 }),
    values: fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 3000, maxLength: 3000 }),
    anomalous: fc.array(fc.nat(3000), { maxLength: 12 }),
    cuts: fc.array(fc.nat(3000), { maxLength: 6 }),
    rolled: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
    blockRows: fc.constantFrom(1, 2, 4, 16),
    maxPoints: fc.integer({ min: 2, max: 200 }),
  })
  .map((s) => {
    let t = 1000;
    const points = s.steps.map((d, i) => {
      t += d;
      return pt(t, s.values[i]!, s.anomalous.includes(i));
    });
    const edges = [...new Set([0, ...s.cuts.filter((c) => c < points.length), points.length])].sort(
      (a, b) => a - b,
    );
    const parts: RangePart[] = [];
    const bucketTs: number[] = [];
    for (let k = 0; k + 1 < edges.length; k++) {
      const slice = points.slice(edges[k], edges[k + 1]);
      const cols = PointColumns.of(slice);
      const rollup = s.rolled[k] ? buildRollup(cols, s.blockRows) : undefined;
      parts.push(rollup ?? cols);
      for (let i = 0; i < slice.length; i++) {
        bucketTs.push(slice[rollup === undefined ? i : i - (i % s.blockRows)]!.ts);
      }
    }
    return { ...s, points, parts, bucketTs };
  });

describe('downsampleParts', () => {
  it('keeps what the rule keeps with each rollup block counted in the bucket of its first row', () => {
    fc.assert(
      fc.property(scenario, ({ points, parts, bucketTs, maxPoints, blockRows }) => {
        const got = downsampleParts(parts, 0, 1e9, maxPoints);
        const anomalous = points.filter((p) => p.anomalous).length;
        const buckets = Math.floor((maxPoints - anomalous) / 2);
        const rolled = parts.some((p) => 'blockRows' in p);
        const applies =
          points.length > maxPoints &&
          !(rolled && buckets > 0 && points.length / buckets < MIN_BLOCKS_PER_BUCKET * blockRows);
        if (!applies) {
          expect(got).toBeUndefined();
          return;
        }
        expect(got!.total).toBe(points.length);
        expect(got!.kept.toPoints()).toEqual(referenceDownsample(points, bucketTs, maxPoints));
      }),
      { numRuns: 300 },
    );
  });

  it('with one-row blocks, is downsampleColumns', () => {
    fc.assert(
      fc.property(scenario, ({ points, maxPoints }) => {
        const cols = PointColumns.of(points);
        const half = Math.floor(points.length / 2);
        const parts = [
          buildRollup(PointColumns.of(points.slice(0, half)), 1)!,
          PointColumns.of(points.slice(half)),
        ];
        const got = downsampleParts(parts, 0, 1e9, maxPoints);
        if (got === undefined) return;
        const want = downsampleColumns([cols], 0, 1e9, maxPoints);
        expect(got.total).toBe(want.total);
        expect(got.kept.toPoints()).toEqual(want.kept.toPoints());
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the global extremes and every anomalous point of a long rolled-up range', () => {
    const points = Array.from({ length: 200_000 }, (_, i) => pt(i, Math.sin(i / 500)));
    points[12_345] = pt(12_345, 50);
    points[150_001] = pt(150_001, -50);
    points[777] = pt(777, 0.1, true);
    points[199_999] = pt(199_999, 0.2, true);
    const parts = [
      buildRollup(PointColumns.of(points.slice(0, 100_000)), 128)!,
      buildRollup(PointColumns.of(points.slice(100_000, 190_000)), 128)!,
      PointColumns.of(points.slice(190_000)),
    ];
    const got = downsampleParts(parts, 0, 200_000, 120)!;
    expect(got.total).toBe(200_000);
    const ts = got.kept.toPoints().map((p) => p.ts);
    expect(ts.length).toBeLessThanOrEqual(120);
    for (const want of [12_345, 150_001, 777, 199_999]) expect(ts).toContain(want);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
  });

  it('declines (undefined) where the rows must be read: out of order, a rollup past the range, narrow buckets', () => {
    const a = buildRollup(PointColumns.of(Array.from({ length: 4096 }, (_, i) => pt(i, i))), 128)!;
    const b = buildRollup(PointColumns.of(Array.from({ length: 4096 }, (_, i) => pt(i + 4096, i))), 128)!;
    expect(downsampleParts([a, b], 0, 10_000, 4)).toBeDefined();
    expect(downsampleParts([b, a], 0, 10_000, 4)).toBeUndefined();
    expect(downsampleParts([a, b], 0, 8000, 4)).toBeUndefined();
    expect(downsampleParts([a, b], 1, 10_000, 4)).toBeUndefined();
    // 8192 rows in 4 buckets: 2048 per bucket, 16 blocks; in 40 buckets, 205 rows: under 4 blocks.
    expect(downsampleParts([a, b], 0, 10_000, 80)).toBeUndefined();
    expect(downsampleParts([a, b], 0, 10_000, 10_000)).toBeUndefined();
  });
});
