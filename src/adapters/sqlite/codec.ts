/**
 * Binary layouts of the two blobs the SQLite adapter stores: log batches (one ingest request) and
 * point chunks (scored points of one series between two checkpoints). Columnar, little-endian.
 */
import type { ScoredPoint } from '../../core/point.ts';
import { PointColumns } from '../../core/point-columns.ts';
import type { PointBatch } from '../../ports/log.ts';

/** [n:u32][pad:u32][ts:f64×n][values:f64×n][seriesIds:i32×n] */
export function encodeBatch(b: PointBatch): Uint8Array {
  const n = b.seriesIds.length;
  const buf = new ArrayBuffer(8 + 16 * n + 4 * n);
  new Uint32Array(buf, 0, 1)[0] = n;
  new Float64Array(buf, 8, n).set(b.ts);
  new Float64Array(buf, 8 + 8 * n, n).set(b.values);
  new Int32Array(buf, 8 + 16 * n, n).set(b.seriesIds);
  return new Uint8Array(buf);
}

export function decodeBatch(bytes: Uint8Array): PointBatch {
  // Copy: SQLite hands out buffers without alignment guarantees for typed-array views.
  const buf = bytes.slice().buffer;
  const n = new Uint32Array(buf, 0, 1)[0]!;
  return {
    ts: new Float64Array(buf, 8, n),
    values: new Float64Array(buf, 8 + 8 * n, n),
    seriesIds: new Int32Array(buf, 8 + 16 * n, n),
  };
}

const COLS = 6; // ts, value, score, expected, lower, upper

/** [n:u32][pad:u32][ts:f64×n][value][score][expected][lower][upper][flags:u8×n] (column-major) */
export function encodeChunk(c: PointColumns): Uint8Array {
  const n = c.length;
  const buf = new ArrayBuffer(8 + COLS * 8 * n + n);
  new Uint32Array(buf, 0, 1)[0] = n;
  const cols = [c.ts, c.value, c.score, c.expected, c.lower, c.upper];
  for (let k = 0; k < COLS; k++) new Float64Array(buf, 8 + k * 8 * n, n).set(cols[k]!.subarray(0, n));
  new Uint8Array(buf, 8 + COLS * 8 * n, n).set(c.flags.subarray(0, n));
  return new Uint8Array(buf);
}

/** Appends the chunk's points with from ≤ ts < to to `out`. */
export function decodeChunkInto(bytes: Uint8Array, from: number, to: number, out: ScoredPoint[]): void {
  const buf = bytes.slice().buffer;
  const n = new Uint32Array(buf, 0, 1)[0]!;
  const c = new PointColumns(0);
  c.ts = new Float64Array(buf, 8, n);
  c.value = new Float64Array(buf, 8 + 8 * n, n);
  c.score = new Float64Array(buf, 8 + 16 * n, n);
  c.expected = new Float64Array(buf, 8 + 24 * n, n);
  c.lower = new Float64Array(buf, 8 + 32 * n, n);
  c.upper = new Float64Array(buf, 8 + 40 * n, n);
  c.flags = new Uint8Array(buf, 8 + COLS * 8 * n, n);
  c.length = n;
  c.collect(from, to, out);
}
