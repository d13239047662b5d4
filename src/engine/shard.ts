/**
 * Series sharding of the embedded engine: the engine runs on N threads, and each series belongs
 * to exactly one of them, by its id (catalog ids are never reused, so the owner never changes
 * while the shard count stays the same). Every thread reads every log entry and keeps the points
 * of its own series.
 */
import type { PointBatch } from '../core/point.ts';

/** The shard (0 ≤ shard < shards) that owns series `seriesId`. */
export function shardOf(seriesId: number, shards: number): number {
  return seriesId % shards;
}

/** The points of `batch` whose series `shard` owns, in their order (the batch itself when it owns all). */
export function ownedPoints(batch: PointBatch, shard: number, shards: number): PointBatch {
  if (shards === 1) return batch;
  const { seriesIds, ts, values } = batch;
  let n = 0;
  for (let i = 0; i < seriesIds.length; i++) if (shardOf(seriesIds[i]!, shards) === shard) n++;
  if (n === seriesIds.length) return batch;
  const out: PointBatch = {
    seriesIds: new Int32Array(n),
    ts: new Float64Array(n),
    values: new Float64Array(n),
  };
  for (let i = 0, j = 0; i < seriesIds.length; i++) {
    if (shardOf(seriesIds[i]!, shards) !== shard) continue;
    out.seriesIds[j] = seriesIds[i]!;
    out.ts[j] = ts[i]!;
    out.values[j++] = values[i]!;
  }
  return out;
}
