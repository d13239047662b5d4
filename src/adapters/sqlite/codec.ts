/**
 * Binary layouts of the two blobs the SQLite adapter stores: log batches (one ingest request) and
 * point chunks (scored points of one series between two checkpoints). Columnar, little-endian.
 */
import type { ScoredPoint } from '../../core/point.ts';
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

const FLAG_ANOMALOUS = 1;
const COLS = 6; // ts, value, score, expected, lower, upper

/** [n:u32][pad:u32][f64 × 6n, point-major][flags:u8×n] */
export function encodeChunk(points: readonly ScoredPoint[]): Uint8Array {
  const n = points.length;
  const buf = new ArrayBuffer(8 + COLS * 8 * n + n);
  new Uint32Array(buf, 0, 1)[0] = n;
  const f = new Float64Array(buf, 8, COLS * n);
  const flags = new Uint8Array(buf, 8 + COLS * 8 * n, n);
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    const o = i * COLS;
    f[o] = p.ts;
    f[o + 1] = p.value;
    f[o + 2] = p.score;
    f[o + 3] = p.expected;
    f[o + 4] = p.lower;
    f[o + 5] = p.upper;
    flags[i] = p.anomalous ? FLAG_ANOMALOUS : 0;
  }
  return new Uint8Array(buf);
}

/** Appends the chunk's points with from ≤ ts < to to `out`. */
export function decodeChunkInto(bytes: Uint8Array, from: number, to: number, out: ScoredPoint[]): void {
  const buf = bytes.slice().buffer;
  const n = new Uint32Array(buf, 0, 1)[0]!;
  const f = new Float64Array(buf, 8, COLS * n);
  const flags = new Uint8Array(buf, 8 + COLS * 8 * n, n);
  for (let i = 0; i < n; i++) {
    const o = i * COLS;
    const ts = f[o]!;
    if (ts < from || ts >= to) continue;
    out.push({
      ts,
      value: f[o + 1]!,
      score: f[o + 2]!,
      expected: f[o + 3]!,
      lower: f[o + 4]!,
      upper: f[o + 5]!,
      anomalous: (flags[i]! & FLAG_ANOMALOUS) !== 0,
    });
  }
}
