/**
 * Data dirs made by older versions open and keep their data: series_config before per-series
 * resampling, chunks before points were flushed between checkpoints.
 */
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { encodeChunk } from '../../../../src/adapters/sqlite/chunk-codec.ts';
import { SqliteConfigStore } from '../../../../src/adapters/sqlite/config-store.ts';
import { SqliteStoreDb } from '../../../../src/adapters/sqlite/store-db.ts';
import { PointColumns } from '../../../../src/core/point-columns.ts';
import { rawConfig } from '../../../helpers/series-config.ts';

describe('SQLite series_config upgrade', () => {
  it('adds the resample and pipeline columns to an old table', async () => {
    const db = new DatabaseSync(':memory:');
    db.exec(`CREATE TABLE series_config (
      series_id INTEGER PRIMARY KEY, detector TEXT NOT NULL, params TEXT NOT NULL, threshold REAL NOT NULL)`);
    db.exec(`INSERT INTO series_config VALUES (1, 'ewma', '{"alpha":0.2}', 0.9)`);
    const store = new SqliteConfigStore(db);
    // A row from before pipelines reads as the pipeline it meant.
    expect(await store.getConfig(1)).toEqual({
      pipeline: { name: 'ewma', detector: { name: 'ewma', params: { alpha: 0.2 } }, threshold: 0.9 },
    });
    const resampled = rawConfig('ewma', {}, 0.5, { intervalMs: 1000, aggregate: 'last' });
    await store.setConfig(2, resampled);
    expect(await store.getConfig(2)).toEqual(resampled);
    // Opening again finds the column in place.
    expect(await new SqliteConfigStore(db).getConfig(2)).toEqual(resampled);
  });
});

describe('SQLite chunks upgrade', () => {
  it('adds the upto column to an old chunks table; old chunks survive load() and stay readable', async () => {
    const db = new DatabaseSync(':memory:');
    db.exec(`CREATE TABLE chunks (series_id INTEGER NOT NULL, start_ts REAL NOT NULL, end_ts REAL NOT NULL,
      points INTEGER NOT NULL, data BLOB NOT NULL)`);
    const p = { ts: 5, value: 1, score: 0.1, expected: 1, lower: 0, upper: 2, anomalous: false };
    db.prepare('INSERT INTO chunks VALUES (7, 5, 5, 1, ?)').run(encodeChunk(PointColumns.of([p])));
    const store = new SqliteStoreDb(db);
    expect((await store.load()).offset).toBe(0);
    expect(await store.range(7, 0, 10)).toEqual([p]);
  });

  it('moves chunks indexed by (series_id, end_ts) into the chunk directory and drops the index', async () => {
    const db = new DatabaseSync(':memory:');
    db.exec(`CREATE TABLE chunks (series_id INTEGER NOT NULL, start_ts REAL NOT NULL, end_ts REAL NOT NULL,
      points INTEGER NOT NULL, data BLOB NOT NULL, upto INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX chunks_by_series ON chunks (series_id, end_ts);
      CREATE TABLE checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), offset INTEGER NOT NULL);
      INSERT INTO checkpoint VALUES (1, 10);`);
    const pt = (ts: number) => ({
      ts,
      value: ts,
      score: 0.1,
      expected: ts,
      lower: 0,
      upper: 2,
      anomalous: false,
    });
    const insert = db.prepare('INSERT INTO chunks VALUES (?, ?, ?, 1, ?, ?)');
    // Series 7: two chunks a checkpoint covers and one flushed past it (upto 12 > 10).
    insert.run(7, 1, 1, encodeChunk(PointColumns.of([pt(1)])), 4);
    insert.run(8, 1, 1, encodeChunk(PointColumns.of([pt(1)])), 4);
    insert.run(7, 2, 2, encodeChunk(PointColumns.of([pt(2)])), 10);
    insert.run(7, 3, 3, encodeChunk(PointColumns.of([pt(3)])), 12);
    const store = new SqliteStoreDb(db);
    expect(
      db.prepare("SELECT name FROM sqlite_master WHERE name = 'chunks_by_series'").get(),
    ).toBeUndefined();
    expect((await store.range(7, 0, 10)).map((x) => x.ts)).toEqual([1, 2, 3]);
    expect((await store.load()).offset).toBe(10);
    expect((await store.range(7, 0, 10)).map((x) => x.ts)).toEqual([1, 2]);
    expect((await store.range(8, 0, 10)).map((x) => x.ts)).toEqual([1]);
    // New chunks after the upgrade join the old ones.
    await store.commit({
      offset: 11,
      points: new Map([[7, PointColumns.of([pt(4)])]]),
      anomalies: [],
      states: new Map(),
    });
    expect((await store.range(7, 0, 10)).map((x) => x.ts)).toEqual([1, 2, 4]);
  });
});
