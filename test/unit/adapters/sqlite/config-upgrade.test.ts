/** A data dir made before per-series resampling existed opens, keeps its configs and takes new ones. */
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { SqliteIngestDb } from '../../../../src/adapters/sqlite/ingest-db.ts';

describe('SQLite series_config upgrade', () => {
  it('adds the resample column to an old table', async () => {
    const db = new DatabaseSync(':memory:');
    db.exec(`CREATE TABLE series_config (
      series_id INTEGER PRIMARY KEY, detector TEXT NOT NULL, params TEXT NOT NULL, threshold REAL NOT NULL)`);
    db.exec(`INSERT INTO series_config VALUES (1, 'ewma', '{"alpha":0.2}', 0.9)`);
    const store = new SqliteIngestDb(db);
    expect(await store.getConfig(1)).toEqual({ detector: 'ewma', params: { alpha: 0.2 }, threshold: 0.9 });
    const resampled = {
      detector: 'ewma',
      params: {},
      threshold: 0.5,
      resample: { intervalMs: 1000, aggregate: 'last' as const },
    };
    await store.setConfig(2, resampled);
    expect(await store.getConfig(2)).toEqual(resampled);
    // Opening again finds the column in place.
    expect(await new SqliteIngestDb(db).getConfig(2)).toEqual(resampled);
  });
});
