/**
 * Server-side downsampling for charts: at most `maxPoints` points that keep each time bucket's
 * minimum and maximum value and every anomalous point, so spikes and anomalies never vanish when
 * zoomed out. Anomalous points are always kept, even where they alone exceed `maxPoints`.
 */
import type { ScoredPoint } from './point.ts';
import { FLAG_ANOMALOUS, PointColumns } from './point-columns.ts';
import { ROLE_ANOMALOUS, ROLE_MAX, ROLE_MIN, type Rollup } from './rollup.ts';

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

/**
 * Fewest rows per bucket, in blocks of a rollup, for `downsampleParts` to work on the rollup's
 * blocks: a block then moves a bucket's edge by at most a quarter of a bucket.
 */
export const MIN_BLOCKS_PER_BUCKET = 4;

/** A part of a range to downsample: rows, or the rollup of rows that all lie in the range. */
export type RangePart = PointColumns | Rollup;

const isRollup = (p: RangePart): p is Rollup => 'blockRows' in p;

/**
 * `downsampleColumns` over parts some of which are rollups (./rollup.ts), reading only their
 * representative rows: the same rule with each rollup block counted whole in the bucket of its
 * first row (a bucket's edges move to block edges), so every bucket still keeps its lowest and
 * highest point and every anomalous point is kept. A rollup MUST hold only rows with
 * from ≤ ts < to. Undefined when this does not apply and the caller should read the rows instead:
 * parts out of ts order, everything fits in `maxPoints`, or buckets narrower than
 * MIN_BLOCKS_PER_BUCKET blocks of some rollup.
 */
export function downsampleParts(
  parts: readonly RangePart[],
  from: number,
  to: number,
  maxPoints: number,
): { total: number; kept: PointColumns } | undefined {
  let n = 0;
  let anomalous = 0;
  let first = 0;
  let last = Number.NEGATIVE_INFINITY;
  let widest = 0;
  for (const p of parts) {
    if (isRollup(p)) {
      const blocks = p.firstTs.length;
      if (!(p.firstTs[0]! >= from && p.lastTs[blocks - 1]! < to)) return undefined;
      if (n === 0) first = p.firstTs[0]!;
      if (p.firstTs[0]! < last) return undefined;
      last = p.lastTs[blocks - 1]!;
      n += p.rows;
      for (let i = 0; i < p.role.length; i++) if ((p.role[i]! & ROLE_ANOMALOUS) !== 0) anomalous++;
      widest = Math.max(widest, p.blockRows);
      continue;
    }
    const { ts, flags } = p;
    for (let r = 0; r < p.length; r++) {
      const t = ts[r]!;
      if (!(t >= from && t < to)) continue;
      if (n === 0) first = t;
      if (t < last) return undefined;
      last = t;
      n++;
      if ((flags[r]! & FLAG_ANOMALOUS) !== 0) anomalous++;
    }
  }
  if (n <= maxPoints) return undefined;
  const buckets = Math.floor((maxPoints - anomalous) / 2);
  if (buckets > 0 && n / buckets < MIN_BLOCKS_PER_BUCKET * widest) return undefined;
  const span = last - first + 1;
  const bucketOf = (t: number) => Math.min(buckets - 1, Math.floor(((t - first) / span) * buckets));
  // Per part, which of its rows (or representatives) to keep.
  const keep = parts.map((p) => new Uint8Array(isRollup(p) ? p.reps.length : p.length));
  let b = 0;
  // The bucket's lowest and highest so far: [part, row] (part −1: none yet).
  let loP = -1;
  let loR = 0;
  let loV = 0;
  let hiP = -1;
  let hiR = 0;
  let hiV = 0;
  const enter = (bucket: number) => {
    if (bucket === b) return;
    if (loP >= 0) keep[loP]![loR] = 1;
    if (hiP >= 0) keep[hiP]![hiR] = 1;
    b = bucket;
    loP = -1;
    hiP = -1;
  };
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k]!;
    const mark = keep[k]!;
    if (isRollup(p)) {
      const { value } = p.reps;
      for (let blk = 0; blk < p.firstTs.length; blk++) {
        if (buckets > 0) enter(bucketOf(p.firstTs[blk]!));
        for (let i = p.repStart[blk]!; i < p.repStart[blk + 1]!; i++) {
          const role = p.role[i]!;
          if ((role & ROLE_ANOMALOUS) !== 0) mark[i] = 1;
          if (buckets <= 0) continue;
          const v = value[i]!;
          if ((role & ROLE_MIN) !== 0 && (loP < 0 || v < loV)) {
            loP = k;
            loR = i;
            loV = v;
          }
          if ((role & ROLE_MAX) !== 0 && (hiP < 0 || v > hiV)) {
            hiP = k;
            hiR = i;
            hiV = v;
          }
        }
      }
      continue;
    }
    const { ts, value, flags } = p;
    for (let r = 0; r < p.length; r++) {
      const t = ts[r]!;
      if (!(t >= from && t < to)) continue;
      if ((flags[r]! & FLAG_ANOMALOUS) !== 0) mark[r] = 1;
      if (buckets <= 0) continue;
      enter(bucketOf(t));
      const v = value[r]!;
      if (loP < 0 || v < loV) {
        loP = k;
        loR = r;
        loV = v;
      }
      if (hiP < 0 || v > hiV) {
        hiP = k;
        hiR = r;
        hiV = v;
      }
    }
  }
  enter(-1);
  const kept = new PointColumns(Math.max(1, Math.min(n, maxPoints)));
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k]!;
    const mark = keep[k]!;
    const rows = isRollup(p) ? p.reps : p;
    for (let r = 0; r < rows.length; r++) if (mark[r] === 1) kept.copyRow(rows, r);
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
