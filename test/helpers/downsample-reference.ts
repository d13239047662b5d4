/**
 * A plain restatement of the charts' downsampling rule (src/core/downsample.ts), for tests: over
 * points sorted by ts, keep every anomalous point and, per time bucket, the first lowest and the
 * first highest value; row i falls in the bucket of `bucketTs[i]` (its own ts, or the first ts of
 * the rollup block that stands for it).
 */
import type { ScoredPoint } from '../../src/core/point.ts';

export function referenceDownsample(
  points: readonly ScoredPoint[],
  bucketTs: readonly number[],
  maxPoints: number,
): ScoredPoint[] {
  if (points.length <= maxPoints) return [...points];
  const anomalous = points.filter((p) => p.anomalous).length;
  const buckets = Math.floor((maxPoints - anomalous) / 2);
  const first = points[0]!.ts;
  const span = points[points.length - 1]!.ts - first + 1;
  const keep = points.map((p) => p.anomalous);
  if (buckets > 0) {
    const lo = new Map<number, number>();
    const hi = new Map<number, number>();
    points.forEach((p, i) => {
      const b = Math.min(buckets - 1, Math.floor(((bucketTs[i]! - first) / span) * buckets));
      const l = lo.get(b);
      if (l === undefined || p.value < points[l]!.value) lo.set(b, i);
      const h = hi.get(b);
      if (h === undefined || p.value > points[h]!.value) hi.set(b, i);
    });
    for (const i of [...lo.values(), ...hi.values()]) keep[i] = true;
  }
  return points.filter((_, i) => keep[i]);
}
