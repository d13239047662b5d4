/**
 * store.db's chunk rollups (core/rollup.ts), with both writers: a chunk of at least
 * ROLLUP_MIN_ROWS rows in ts order gets one, written with it; small chunks and chunks with late
 * points get none; chunkParts answers the rollup only for a chunk wholly in the range; deleting
 * and retention remove rollups with their chunks; the encoding round-trips, aligned or not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRollup, encodeRollup, ROLLUP_MIN_ROWS } from '../../../../src/adapters/sqlite/chunk-codec.ts';
import { openDatabase } from '../../../../src/adapters/sqlite/database.ts';
import { SqliteStoreDb } from '../../../../src/adapters/sqlite/store-db.ts';
import { PointColumns } from '../../../../src/core/point-columns.ts';
import { buildRollup, type Rollup } from '../../../../src/core/rollup.ts';
import { pt } from '../../../contract/fixtures.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const plain = (r: Rollup) => ({
  ...r,
  firstTs: [...r.firstTs],
  lastTs: [...r.lastTs],
  reps: r.reps.toPoints(),
  role: [...r.role],
  repStart: [...r.repStart],
});

const rows = (n: number, t0: number, late = false) =>
  PointColumns.of(
    Array.from({ length: n }, (_, i) =>
      pt(late && i === n - 1 ? t0 - 5 : t0 + i, Math.sin(i / 40), i % 997 === 3),
    ),
  );

function rollupRows(dir: string): number[] {
  const db = new DatabaseSync(join(dir, 'store.db'), { readOnly: true });
  try {
    return db
      .prepare('SELECT chunk FROM chunk_rollups ORDER BY chunk')
      .all()
      .map((r) => Number(r.chunk));
  } finally {
    db.close();
  }
}

describe('rollup encoding', () => {
  it('round-trips, from aligned and unaligned bytes', () => {
    const r = buildRollup(rows(5000, 100), 128)!;
    const bytes = encodeRollup(r);
    expect(plain(decodeRollup(bytes))).toEqual(plain(r));
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(plain(decodeRollup(shifted.subarray(3)))).toEqual(plain(r));
  });
});

for (const writer of ['inline', 'worker'] as const) {
  describe(`store.db chunk rollups (${writer} writer)`, () => {
    it('writes them for long ordered chunks, answers them for whole chunks in range, drops them with the chunks', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vigil-rollups-'));
      dirs.push(dir);
      const path = join(dir, 'store.db');
      const store = new SqliteStoreDb(
        openDatabase(path, 'normal'),
        writer === 'worker' ? { kind: 'worker', path, synchronous: 'normal' } : { kind: 'inline' },
      );
      const big = rows(ROLLUP_MIN_ROWS + 500, 0);
      await store.commit({
        offset: 1,
        points: new Map([
          [1, big],
          [2, rows(ROLLUP_MIN_ROWS - 1, 0)],
          [3, rows(ROLLUP_MIN_ROWS + 10, 100, true)],
        ]),
        anomalies: [],
        states: new Map(),
      });
      await store.commit({
        offset: 2,
        points: new Map([[1, rows(10, 1e6)]]),
        anomalies: [],
        states: new Map(),
      });
      // Only series 1's long chunk (rowid 1) has one: series 2's is short, series 3's has a late point.
      expect(rollupRows(dir)).toEqual([1]);

      const whole = await store.chunkParts(1, 0, 2e6);
      expect(whole).toHaveLength(2);
      expect(plain(whole[0] as Rollup)).toEqual(plain(buildRollup(big)!));
      expect(whole[1]).toBeInstanceOf(PointColumns);
      // A range cutting the long chunk gets its rows.
      const cut = await store.chunkParts(1, 10, 2e6);
      expect(cut[0]).toBeInstanceOf(PointColumns);
      expect((cut[0] as PointColumns).length).toBe(big.length);
      expect((await store.chunkParts(3, 0, 2e6))[0]).toBeInstanceOf(PointColumns);

      await store.retain(Int32Array.of(1), Float64Array.of(5e5));
      expect(rollupRows(dir)).toEqual([]);
      await store.commit({
        offset: 3,
        points: new Map([[4, rows(ROLLUP_MIN_ROWS, 0)]]),
        anomalies: [],
        states: new Map(),
      });
      expect(rollupRows(dir)).toHaveLength(1);
      await store.deleteSeries([4]);
      expect(rollupRows(dir)).toEqual([]);
      await store.close();
    });
  });
}

describe('store.db chunk rollups after a crash', () => {
  it('load drops the rollups of the chunks it drops, so a rowid handed out again has none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-rollups-load-'));
    dirs.push(dir);
    const path = join(dir, 'store.db');
    const open = () => new SqliteStoreDb(openDatabase(path, 'normal'), { kind: 'inline' });
    let store = open();
    await store.commit({ offset: 1, points: new Map([[1, rows(10, 0)]]), anomalies: [], states: new Map() });
    // Flushed past the checkpoint, then the process dies: load drops the chunk (rowid 2).
    await store.flushPoints(5, new Map([[1, rows(ROLLUP_MIN_ROWS, 100)]]));
    expect(rollupRows(dir)).toEqual([2]);
    await store.close();
    store = open();
    await store.load();
    expect(rollupRows(dir)).toEqual([]);
    await store.commit({ offset: 2, points: new Map([[1, rows(5, 100)]]), anomalies: [], states: new Map() });
    const parts = await store.chunkParts(1, 0, 1e6);
    expect(parts.every((p) => p instanceof PointColumns)).toBe(true);
    expect(parts.reduce((n, p) => n + (p as PointColumns).length, 0)).toBe(15);
    await store.close();
  });
});
