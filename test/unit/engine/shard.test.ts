/** Series sharding of the embedded engine: every point goes to exactly one shard, in its order. */
import { describe, expect, it } from 'vitest';
import { ownedPoints, shardOf } from '../../../src/engine/shard.ts';

const batch = {
  seriesIds: Int32Array.from([1, 2, 3, 4, 5, 2, 7]),
  ts: Float64Array.from([10, 20, 30, 40, 50, 60, 70]),
  values: Float64Array.from([1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5]),
};

describe('engine shards', () => {
  it('a series always belongs to the same shard, and the shards partition every batch', () => {
    expect(shardOf(7, 3)).toBe(shardOf(7, 3));
    for (const n of [1, 2, 3]) {
      const parts = Array.from({ length: n }, (_, k) => ownedPoints(batch, k, n));
      expect(parts.reduce((sum, p) => sum + p.seriesIds.length, 0)).toBe(batch.seriesIds.length);
      parts.forEach((p, k) => {
        expect([...p.seriesIds].every((sid) => shardOf(sid, n) === k)).toBe(true);
      });
    }
    const odd = ownedPoints(batch, 1, 2);
    expect([...odd.seriesIds]).toEqual([1, 3, 5, 7]);
    expect([...odd.ts]).toEqual([10, 30, 50, 70]);
    expect([...odd.values]).toEqual([1.5, 3.5, 5.5, 7.5]);
    expect(ownedPoints(batch, 0, 1)).toBe(batch);
  });
});
