/**
 * Server-side downsampling for charts: at most `maxPoints` points that keep each time bucket's
 * minimum and maximum value and every anomalous point, so spikes and anomalies never vanish when
 * zoomed out. Anomalous points are always kept, even where they alone exceed `maxPoints`.
 */
import type { ScoredPoint } from './point.ts';

export function downsample(points: readonly ScoredPoint[], maxPoints: number): ScoredPoint[] {
  if (points.length <= maxPoints) return [...points];
  const keep = new Uint8Array(points.length);
  let anomalous = 0;
  for (let i = 0; i < points.length; i++) {
    if (points[i]!.anomalous) {
      keep[i] = 1;
      anomalous++;
    }
  }
  const budget = maxPoints - anomalous;
  const buckets = Math.floor(budget / 2);
  if (buckets > 0) {
    const first = points[0]!.ts;
    const span = points[points.length - 1]!.ts - first + 1;
    let b = 0;
    let lo = -1;
    let hi = -1;
    const flush = () => {
      if (lo >= 0) keep[lo] = 1;
      if (hi >= 0) keep[hi] = 1;
    };
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      const bucket = Math.min(buckets - 1, Math.floor(((p.ts - first) / span) * buckets));
      if (bucket !== b) {
        flush();
        b = bucket;
        lo = -1;
        hi = -1;
      }
      if (lo < 0 || p.value < points[lo]!.value) lo = i;
      if (hi < 0 || p.value > points[hi]!.value) hi = i;
    }
    flush();
  }
  const out: ScoredPoint[] = [];
  for (let i = 0; i < points.length; i++) if (keep[i] === 1) out.push(points[i]!);
  return out;
}
