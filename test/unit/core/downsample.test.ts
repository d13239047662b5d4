import { describe, expect, it } from 'vitest';
import { downsample } from '../../../src/core/downsample.ts';
import type { ScoredPoint } from '../../../src/core/point.ts';

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
