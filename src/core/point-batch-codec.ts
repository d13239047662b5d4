/**
 * The binary layout of a PointBatch (one ingest request's points of registered series), as the
 * log stores it: SQLite's log rows embedded, Kafka's record values scaled out, the messages between
 * threads. Columnar, little-endian; pure (no I/O), so every adapter and role shares this one copy.
 */
import type { PointBatch } from './point.ts';

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

/**
 * The batch in `bytes` (encodeBatch's layout) as views over it when they can be (the bytes start
 * 8-byte aligned, as an encoded batch passed between threads does), else a decoded copy.
 */
export function batchOf(bytes: Uint8Array): PointBatch {
  if (bytes.byteOffset % 8 !== 0) return decodeBatch(bytes);
  const buf = bytes.buffer;
  const at = bytes.byteOffset;
  const n = new Uint32Array(buf, at, 1)[0]!;
  return {
    ts: new Float64Array(buf, at + 8, n),
    values: new Float64Array(buf, at + 8 + 8 * n, n),
    seriesIds: new Int32Array(buf, at + 8 + 16 * n, n),
  };
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
