import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { downsample, downsampleColumns } from '../../../src/core/downsample.ts';
import type { ScoredPoint } from '../../../src/core/point.ts';
import { PointColumns } from '../../../src/core/point-columns.ts';

const pt = (ts: number, value: number, anomalous = false): ScoredPoint => ({
  ts,
  value,
  score: anomalous ? 1 : 0,
  expected: 0,
  lower: 0,
  upper: 0,
  anomalous,
});

describe('downsample', () => {
  it('returns everything when under the limit', () => {
    const pts = [pt(1, 1), pt(2, 2)];
    expect(downsample(pts, 10)).toEqual(pts);
  });

  it('keeps at most maxPoints, the global extremes and every anomalous point', () => {
    const pts = Array.from({ length: 10_000 }, (_, i) => pt(i, Math.sin(i / 100)));
    pts[1234] = pt(1234, 50);
    pts[5678] = pt(5678, -50);
    pts[777] = pt(777, 0.1, true);
    pts[9999] = pt(9999, 0.2, true);
    const out = downsample(pts, 200);
    expect(out.length).toBeLessThanOrEqual(200);
    expect(out.length).toBeGreaterThan(100);
    const ts = out.map((p) => p.ts);
    expect(ts).toContain(1234);
    expect(ts).toContain(5678);
    expect(ts).toContain(777);
    expect(ts).toContain(9999);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
  });

  it('keeps all anomalous points even beyond the budget', () => {
    const pts = Array.from({ length: 100 }, (_, i) => pt(i, i, i % 2 === 0));
    expect(downsample(pts, 10).filter((p) => p.anomalous)).toHaveLength(50);
  });
});

/**
 * A series as a store and an engine thread hold it: parts (chunks in write order, then the unsaved
 * tail) of points with gaps, repeated ts, spikes, NaN and anomalies; late points put some parts out
 * of ts order.
 */
const seriesArb = fc
  .array(
    fc.array(
      fc.record({
        step: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 11, max: 5000 })),
        late: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 2000 })),
        // Small integers make ties (which of equal extremes is kept), then spikes and NaN.
        value: fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: -3, max: 3 }) },
          { weight: 4, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) },
          fc.constantFrom(1e6, -1e6, Number.NaN),
        ),
        anomalous: fc.integer({ min: 0, max: 9 }).map((k) => k === 0),
        score: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      { maxLength: 300 },
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => {
    let t = 1000;
    return parts.map((ps) =>
      ps.map((p): ScoredPoint => {
        t += p.step;
        return {
          ts: t - p.late,
          value: p.value,
          score: p.score,
          expected: p.value / 2,
          lower: p.value - 1,
          upper: p.value + 1,
          anomalous: p.anomalous,
        };
      }),
    );
  });

describe('downsampleColumns', () => {
  it('keeps exactly what downsample keeps of the range sorted by ts (randomized)', () => {
    fc.assert(
      fc.property(
        seriesArb,
        fc.integer({ min: 2, max: 120 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (parts, maxPoints, a, b) => {
          const flat = parts.flat();
          const tsMax = flat.reduce((m, p) => Math.max(m, p.ts), 0) + 1;
          // Range edges at (or between) point timestamps, or the whole series.
          const from = a < 0.3 ? 0 : Math.floor(a * tsMax);
          const to = b > 0.7 ? Number.MAX_SAFE_INTEGER : Math.max(from, Math.floor(from + b * tsMax));
          // What the route did before: the range, stably sorted by ts, then downsample.
          const inRange = flat.filter((p) => p.ts >= from && p.ts < to).sort((x, y) => x.ts - y.ts);
          const expected = downsample(inRange, maxPoints);
          const { total, kept } = downsampleColumns(
            parts.map((ps) => PointColumns.of(ps)),
            from,
            to,
            maxPoints,
          );
          expect(total).toBe(inRange.length);
          expect(kept.toPoints()).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('keeps the extremes of each bucket on both sides of a bucket edge', () => {
    // 100 points, 10 buckets of 10: a spike on the last point of one and the first of the next.
    const pts = Array.from({ length: 100 }, (_, i) => pt(i, 0));
    pts[9] = pt(9, 100);
    pts[10] = pt(10, -100);
    const { kept } = downsampleColumns([PointColumns.of(pts)], 0, 1000, 20);
    const out = kept.toPoints();
    expect(out).toEqual(downsample(pts, 20));
    expect(out.map((p) => p.ts)).toContain(9);
    expect(out.map((p) => p.ts)).toContain(10);
  });
});
