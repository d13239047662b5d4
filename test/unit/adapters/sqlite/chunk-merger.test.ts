/**
 * A slow series' small chunks merge after compactions (chunk-merger.ts), with both writers: reads
 * return the same points in the same order (late points included), far fewer chunks remain, every
 * directory entry names a chunk, the newest compaction's run stays as it is, a merged chunk long
 * enough has a rollup, and load (after a crash) and retention still do what they did.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRowids } from '../../../../src/adapters/sqlite/chunk-codec.ts';
import { ChunkMerger, FLATTEN_BELOW, TIER_FANOUT } from '../../../../src/adapters/sqlite/chunk-merger.ts';
import { ChunkRows } from '../../../../src/adapters/sqlite/chunk-rows.ts';
import { openDatabase } from '../../../../src/adapters/sqlite/database.ts';
import { SqliteStoreDb } from '../../../../src/adapters/sqlite/store-db.ts';
import type { ScoredPoint } from '../../../../src/core/point.ts';
import { PointColumns } from '../../../../src/core/point-columns.ts';
import { pt } from '../../../contract/fixtures.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function stats(dir: string) {
  const db = new DatabaseSync(join(dir, 'store.db'), { readOnly: true });
  try {
    const exists = db.prepare('SELECT 1 FROM chunks WHERE rowid = ?');
    let dangling = 0;
    for (const r of db.prepare('SELECT first, chunks FROM chunk_runs').all()) {
      const ids = r.chunks === null ? [Number(r.first)] : decodeRowids(r.chunks as Uint8Array);
      for (const id of ids) if (exists.get(id) === undefined) dangling++;
    }
    const count = (sql: string) => Number(db.prepare(sql).get()!.n);
    return {
      dangling,
      chunks: count('SELECT COUNT(*) AS n FROM chunks WHERE series_id = 1'),
      otherChunks: count('SELECT COUNT(*) AS n FROM chunks WHERE series_id = 2'),
      rollups: count('SELECT COUNT(*) AS n FROM chunk_rollups'),
      maxRowid: count('SELECT MAX(rowid) AS n FROM chunks'),
    };
  } finally {
    db.close();
  }
}

for (const writer of ['inline', 'worker'] as const) {
  describe(`store.db chunk merging (${writer} writer)`, () => {
    it('merges a slow series into few chunks; reads, load and retention unchanged', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vigil-merge-'));
      dirs.push(dir);
      const path = join(dir, 'store.db');
      // A compaction every 8 entries: series 1 gets one point per checkpoint (slow), series 2 one
      // chunk of 200 points every 4th checkpoint (not slow: never merged).
      const open = () =>
        new SqliteStoreDb(
          openDatabase(path, 'normal'),
          writer === 'worker'
            ? { kind: 'worker', path, synchronous: 'normal', compactAt: 8 }
            : { kind: 'inline', compactAt: 8 },
        );
      let store = open();
      const want: ScoredPoint[] = [];
      const CHECKPOINTS = 3000;
      for (let k = 0; k < CHECKPOINTS; k++) {
        // Every 100th point is late (ts before the previous ones): stored and read in arrival order.
        const p = pt(k % 100 === 99 ? k * 10 - 15 : k * 10, Math.sin(k / 7), k % 500 === 0);
        want.push(p);
        const points = new Map([[1, PointColumns.of([p])]]);
        if (k % 4 === 0) {
          points.set(2, PointColumns.of(Array.from({ length: 200 }, (_, i) => pt(k * 1000 + i, i))));
        }
        await store.commit({ offset: k + 1, points, anomalies: [], states: new Map() });
      }
      const sorted = [...want].sort((a, b) => a.ts - b.ts);
      expect(await store.range(1, 0, 1e9)).toEqual(sorted);
      const s = stats(dir);
      expect(s.dangling).toBe(0);
      // Without merging: one chunk per checkpoint. With it: a few per tier, plus the newest runs.
      expect(s.chunks).toBeLessThan(CHECKPOINTS / 20);
      expect(s.otherChunks).toBe(CHECKPOINTS / 4);
      // The chunks' rows in write order are the points in arrival order.
      const parts = await store.chunkColumns(1, 0, 1e9);
      expect(parts.flatMap((c) => c.toPoints())).toEqual(want);

      // A flush past the last checkpoint, then a crash: load drops only that.
      const rowidBefore = s.maxRowid;
      await store.flushPoints(CHECKPOINTS + 5, new Map([[1, PointColumns.of([pt(1e8, 1)])]]));
      await store.close();
      store = open();
      const loaded = await store.load();
      expect(loaded.offset).toBe(CHECKPOINTS);
      expect(await store.range(1, 0, 1e9)).toEqual(sorted);
      expect(stats(dir).maxRowid).toBe(rowidBefore);

      // Retention: whole chunks before the cutoff go, the rest read as before.
      const cutoff = 20_000;
      await store.retain(Int32Array.of(1), Float64Array.of(cutoff));
      const left = await store.range(1, 0, 1e9);
      expect(left.length).toBeGreaterThan(0);
      expect(left.length).toBeLessThan(sorted.length);
      expect(left).toEqual(sorted.slice(sorted.length - left.length));
      expect(left.filter((p) => p.ts >= cutoff)).toEqual(sorted.filter((p) => p.ts >= cutoff));
      expect(stats(dir).dangling).toBe(0);
      await store.close();
    });

    it('gives a merged chunk of a long ordered run a rollup', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vigil-merge-rollup-'));
      dirs.push(dir);
      const path = join(dir, 'store.db');
      const store = new SqliteStoreDb(
        openDatabase(path, 'normal'),
        writer === 'worker'
          ? { kind: 'worker', path, synchronous: 'normal', compactAt: 64 }
          : { kind: 'inline', compactAt: 64 },
      );
      // 63 points a checkpoint (under FLATTEN_BELOW): each compaction's run flattens to ~4,000 rows.
      expect(63).toBeLessThan(FLATTEN_BELOW);
      for (let k = 0; k < 64 * (TIER_FANOUT + 2); k++) {
        const c = PointColumns.of(Array.from({ length: 63 }, (_, i) => pt(k * 63 + i, (i * 31) % 17)));
        await store.commit({ offset: k + 1, points: new Map([[1, c]]), anomalies: [], states: new Map() });
      }
      expect(stats(dir).rollups).toBeGreaterThan(0);
      const whole = await store.chunkParts(1, 0, 1e9);
      expect(whole.some((p) => 'blockRows' in p)).toBe(true);
      expect(await store.range(1, 0, 1e9)).toHaveLength(64 * (TIER_FANOUT + 2) * 63);
      await store.close();
    });
  });
}

describe('store.db chunk merging within a budget', () => {
  it('rewrites about the budget per call, catches up over later calls, and reads stay the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-merge-budget-'));
    dirs.push(dir);
    const path = join(dir, 'store.db');
    // 20 slow series, one point each per checkpoint, a compaction every 4 checkpoints; budget 0:
    // every merge is put off, so each series keeps ten compactions' runs of four one-point chunks.
    const SERIES = 20;
    const CHECKPOINTS = 44;
    const store = new SqliteStoreDb(openDatabase(path, 'normal'), {
      kind: 'inline',
      compactAt: 4 * SERIES,
      mergeBudgetRows: 0,
    });
    const want = new Map<number, ScoredPoint[]>();
    for (let k = 0; k < CHECKPOINTS; k++) {
      const points = new Map<number, PointColumns>();
      for (let sid = 1; sid <= SERIES; sid++) {
        const p = pt(k * 10, sid + Math.sin(k));
        want.set(sid, [...(want.get(sid) ?? []), p]);
        points.set(sid, PointColumns.of([p]));
      }
      await store.commit({ offset: k + 1, points, anomalies: [], states: new Map() });
    }
    const before = stats(dir);
    expect(before.chunks).toBe(CHECKPOINTS);
    await store.close();

    // The merger on its own over that store, budget 10 rows a call.
    const db = openDatabase(path, 'normal');
    const merger = new ChunkMerger(db, new ChunkRows(db), 10);
    const newest = new Map<number, number>();
    for (const r of db
      .prepare('SELECT series_id, MAX(first) AS first FROM chunk_runs GROUP BY series_id')
      .all()) {
      newest.set(Number(r.series_id), Number(r.first));
    }
    expect(newest.size).toBe(SERIES);
    const first = merger.merge(newest);
    // The call stops after the series that passes the budget: the first series' ten older runs of
    // four rows flattened (40 rows), then two tier merges of four of them (16 rows each).
    expect(first.rows).toBe(40 + 16 + 16);
    expect(merger.pending).toBe(SERIES - 1);
    let calls = 1;
    while (merger.pending > 0 && calls < 100) {
      merger.merge(new Map());
      calls++;
    }
    expect(merger.pending).toBe(0);
    expect(calls).toBe(SERIES);
    db.close();

    const after = stats(dir);
    expect(after.dangling).toBe(0);
    // Every put-off run was flattened (not only the newest older one), then merged in tiers: runs
    // of 16, 16, 4 and 4 rows, and the newest run's four chunks as written.
    expect(after.chunks).toBe(4 + 4);
    const reopened = new SqliteStoreDb(openDatabase(path, 'normal'), { kind: 'inline' });
    for (let sid = 1; sid <= SERIES; sid++) expect(await reopened.range(sid, 0, 1e9)).toEqual(want.get(sid));
    await reopened.close();
  });
});
