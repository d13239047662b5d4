/**
 * Block summaries of a long run of scored points (a stored chunk), so that a chart zoomed far out
 * reads a few representative rows instead of every point: per block of `blockRows` consecutive
 * rows, its first and last timestamp, its lowest-value and highest-value row (the first of ties),
 * and every anomalous row. What downsampling keeps of a bucket is its lowest and highest point and
 * its anomalous points (./downsample.ts); when a bucket spans many blocks, those are found among
 * the blocks' representatives alone. Built only over rows in ts order (chunks with late points
 * have none, and are read whole).
 */
import { FLAG_ANOMALOUS, PointColumns } from './point-columns.ts';

/** A representative row's roles (bits of `Rollup.role`). */
export const ROLE_MIN = 1;
export const ROLE_MAX = 2;
export const ROLE_ANOMALOUS = 4;

export interface Rollup {
  /** Rows per block; the last block may hold fewer. */
  blockRows: number;
  /** Rows summarised (the chunk's length). */
  rows: number;
  /** Per block: the ts of its first and of its last row. */
  firstTs: Float64Array;
  lastTs: Float64Array;
  /** The representative rows, whole, in row order. */
  reps: PointColumns;
  /** Per representative row: ROLE_* bits. */
  role: Uint8Array;
  /** Block b's representatives are reps[repStart[b]] … reps[repStart[b + 1] - 1]. */
  repStart: Uint32Array;
}

/** Rows per block of the rollups the stores write. */
export const ROLLUP_BLOCK_ROWS = 64;

/**
 * The rollup of `c`'s rows, in blocks of `blockRows`; undefined when its timestamps are not in
 * non-decreasing order or it is empty.
 */
export function buildRollup(c: PointColumns, blockRows = ROLLUP_BLOCK_ROWS): Rollup | undefined {
  const n = c.length;
  if (n === 0 || !(blockRows >= 1)) return undefined;
  const { ts, value, flags } = c;
  for (let i = 1; i < n; i++) if (!(ts[i]! >= ts[i - 1]!)) return undefined;
  const blocks = Math.ceil(n / blockRows);
  const firstTs = new Float64Array(blocks);
  const lastTs = new Float64Array(blocks);
  const repStart = new Uint32Array(blocks + 1);
  // At most two representatives per block plus every anomalous row.
  const reps = new PointColumns(Math.min(n, 2 * blocks + 8));
  const role: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const start = b * blockRows;
    const end = Math.min(n, start + blockRows);
    firstTs[b] = ts[start]!;
    lastTs[b] = ts[end - 1]!;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (value[i]! < value[lo]!) lo = i;
      if (value[i]! > value[hi]!) hi = i;
    }
    repStart[b] = reps.length;
    for (let i = start; i < end; i++) {
      const r =
        (i === lo ? ROLE_MIN : 0) |
        (i === hi ? ROLE_MAX : 0) |
        ((flags[i]! & FLAG_ANOMALOUS) !== 0 ? ROLE_ANOMALOUS : 0);
      if (r === 0) continue;
      reps.copyRow(c, i);
      role.push(r);
    }
  }
  repStart[blocks] = reps.length;
  return { blockRows, rows: n, firstTs, lastTs, reps, role: Uint8Array.from(role), repStart };
}

/** Rows in `r`'s block `b`. */
export const blockLength = (r: Rollup, b: number): number =>
  Math.min(r.rows, (b + 1) * r.blockRows) - b * r.blockRows;
