/**
 * Server-side downsampling for charts: at most `maxPoints` points that keep each time bucket's
 * minimum and maximum value and every anomalous point, so spikes and anomalies never vanish when
 * zoomed out. Anomalous points are always kept, even where they alone exceed `maxPoints`.
 */
import type { ScoredPoint } from './point.ts';
import { FLAG_ANOMALOUS, PointColumns } from './point-columns.ts';

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

/** A range of points read for a chart: how many it held, and what downsampling kept of them. */
export interface Downsampled {
  /** Points in range before downsampling. */
  total: number;
  points: ScoredPoint[];
}

/**
 * `downsample` over columns, without an object per point: of the rows of `parts` (read in order,
 * part after part) with from ≤ ts < to, the same points `downsample` keeps of them sorted by ts,
 * as columns, with how many rows were in range. Rows with equal ts keep their order in `parts`
 * (what a stable sort gives). Three passes over the rows when they come in ts order (a store's
 * chunks in write order, then the unsaved tail); otherwise a copy sorted by ts first. No
 * allocation per row.
 */
export function downsampleColumns(
  parts: readonly PointColumns[],
  from: number,
  to: number,
  maxPoints: number,
): { total: number; kept: PointColumns } {
  let n = 0;
  let anomalous = 0;
  let sorted = true;
  let first = 0;
  let last = Number.NEGATIVE_INFINITY;
  for (const c of parts) {
    const { ts, flags } = c;
    for (let r = 0; r < c.length; r++) {
      const t = ts[r]!;
      if (!(t >= from && t < to)) continue;
      if (n === 0) first = t;
      if (t < last) sorted = false;
      last = t;
      n++;
      if ((flags[r]! & FLAG_ANOMALOUS) !== 0) anomalous++;
    }
  }
  if (!sorted) return downsampleColumns([sortedCopy(parts, from, to, n)], from, to, maxPoints);
  const kept = new PointColumns(Math.max(1, Math.min(n, maxPoints)));
  if (n <= maxPoints) {
    for (const c of parts) kept.appendRange(c, from, to);
    return { total: n, kept };
  }
  // Positions (in ts order, among rows in range) to keep, as downsample's `keep`.
  const keep = new Uint8Array(n);
  const buckets = Math.floor((maxPoints - anomalous) / 2);
  const span = last - first + 1;
  let i = 0;
  let b = 0;
  let lo = -1;
  let hi = -1;
  let loV = 0;
  let hiV = 0;
  for (const c of parts) {
    const { ts, value, flags } = c;
    for (let r = 0; r < c.length; r++) {
      const t = ts[r]!;
      if (!(t >= from && t < to)) continue;
      if ((flags[r]! & FLAG_ANOMALOUS) !== 0) keep[i] = 1;
      if (buckets > 0) {
        const v = value[r]!;
        const bucket = Math.min(buckets - 1, Math.floor(((t - first) / span) * buckets));
        if (bucket !== b) {
          if (lo >= 0) keep[lo] = 1;
          if (hi >= 0) keep[hi] = 1;
          b = bucket;
          lo = -1;
          hi = -1;
        }
        if (lo < 0 || v < loV) {
          lo = i;
          loV = v;
        }
        if (hi < 0 || v > hiV) {
          hi = i;
          hiV = v;
        }
      }
      i++;
    }
  }
  if (lo >= 0) keep[lo] = 1;
  if (hi >= 0) keep[hi] = 1;
  i = 0;
  for (const c of parts) {
    const ts = c.ts;
    for (let r = 0; r < c.length; r++) {
      const t = ts[r]!;
      if (!(t >= from && t < to)) continue;
      if (keep[i++] === 1) kept.copyRow(c, r);
    }
  }
  return { total: n, kept };
}

/** The `n` rows of `parts` with from ≤ ts < to, sorted by ts, ties in their order in `parts`. */
function sortedCopy(parts: readonly PointColumns[], from: number, to: number, n: number): PointColumns {
  const all = new PointColumns(Math.max(1, n));
  for (const c of parts) all.appendRange(c, from, to);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // A typed array's sort need not be stable: ties are broken by row explicitly.
  order.sort((a, b) => all.ts[a]! - all.ts[b]! || a - b);
  const out = new PointColumns(Math.max(1, n));
  for (let i = 0; i < n; i++) out.copyRow(all, order[i]!);
  return out;
}
