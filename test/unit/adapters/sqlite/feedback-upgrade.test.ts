/**
 * A feedback.db made before the change cursor opens and keeps its labels: `feedback_series` gains
 * its `seq` column (old series at 0, before any change a poller starts after), and the next change
 * gets a number above it.
 */
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { SqliteFeedbackStore } from '../../../../src/adapters/sqlite/feedback-store.ts';

describe('SQLite feedback.db upgrade', () => {
  it('adds the change cursor to an old file', async () => {
    const db = new DatabaseSync(':memory:');
    db.exec(`CREATE TABLE feedback (
      id TEXT PRIMARY KEY, tenant TEXT NOT NULL, series_id INTEGER NOT NULL, anomaly_start INTEGER NOT NULL,
      label TEXT NOT NULL, note TEXT NOT NULL, actor TEXT NOT NULL, created_ms INTEGER NOT NULL,
      peak_value REAL NOT NULL, peak_expected REAL, peak_score REAL NOT NULL, UNIQUE (series_id, anomaly_start));
    CREATE TABLE feedback_series (series_id INTEGER PRIMARY KEY);
    INSERT INTO feedback VALUES ('f1', 'default', 7, 100, 'expected', '', 'anonymous', 1, 5, NULL, 0.99);
    INSERT INTO feedback_series VALUES (7);`);
    const store = new SqliteFeedbackStore(db);
    expect((await store.forSeries(7, 10)).map((r) => [r.id, r.label])).toEqual([['f1', 'expected']]);
    expect(await store.labelledSeries()).toEqual([7]);
    expect(await store.lastChange()).toBe(0);
    expect(await store.remove('default', 'f1')).toBe(true);
    expect(await store.changedSince(0, 10)).toEqual([{ seriesId: 7, seq: 1 }]);
    await store.close();
  });
});
