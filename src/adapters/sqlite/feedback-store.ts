/**
 * FeedbackStore on SQLite, in its own file (`feedback.db` under the data dir): labels are few and
 * written by the API, never by the ingest log's writer. One row per labelled anomaly (a new label
 * on it replaces the row); `feedback_series` remembers every series that ever had a label, so a
 * restart can tell a series whose last label was removed to forget it.
 */
import type { DatabaseSync, SQLInputValue, SQLOutputValue, StatementSync } from 'node:sqlite';
import type { FeedbackLabel } from '../../core/feedback/label.ts';
import type { FeedbackQuery, FeedbackRecord, FeedbackStore } from '../../ports/feedback-store.ts';
import { storageTransaction } from './database.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS feedback (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  series_id INTEGER NOT NULL,
  anomaly_start INTEGER NOT NULL,
  label TEXT NOT NULL,
  note TEXT NOT NULL,
  actor TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  peak_value REAL NOT NULL,
  peak_expected REAL, -- NULL: the detector had no expected value
  peak_score REAL NOT NULL,
  UNIQUE (series_id, anomaly_start)
);
CREATE INDEX IF NOT EXISTS feedback_by_tenant ON feedback (tenant, created_ms);
CREATE TABLE IF NOT EXISTS feedback_series (series_id INTEGER PRIMARY KEY);
`;

const COLUMNS =
  'id, tenant, series_id, anomaly_start, label, note, actor, created_ms, peak_value, peak_expected, peak_score';

export class SqliteFeedbackStore implements FeedbackStore {
  readonly #db: DatabaseSync;
  readonly #replace: StatementSync;
  readonly #remember: StatementSync;
  readonly #get: StatementSync;

  /** Owns `db`: `close` closes it. */
  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(SCHEMA);
    this.#replace = db.prepare(
      `INSERT OR REPLACE INTO feedback (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#remember = db.prepare('INSERT OR IGNORE INTO feedback_series (series_id) VALUES (?)');
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM feedback WHERE id = ?`);
  }

  async put(records: readonly FeedbackRecord[]): Promise<void> {
    storageTransaction(this.#db, 'feedback.db', () => {
      for (const r of records) {
        this.#replace.run(
          r.id,
          r.tenant,
          r.seriesId,
          r.anomalyStart,
          r.label,
          r.note,
          r.actor,
          r.createdMs,
          r.peakValue,
          Number.isNaN(r.peakExpected) ? null : r.peakExpected,
          r.peakScore,
        );
        this.#remember.run(r.seriesId);
      }
    });
  }

  async get(id: string): Promise<FeedbackRecord | undefined> {
    const row = this.#get.get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  async remove(id: string): Promise<boolean> {
    return storageTransaction(this.#db, 'feedback.db', () => {
      return Number(this.#db.prepare('DELETE FROM feedback WHERE id = ?').run(id).changes) > 0;
    });
  }

  async list(q: FeedbackQuery): Promise<FeedbackRecord[]> {
    const where = ['tenant = ?'];
    const args: SQLInputValue[] = [q.tenant];
    if (q.seriesIds !== undefined) {
      if (q.seriesIds.length === 0) return [];
      where.push(`series_id IN (${q.seriesIds.map(() => '?').join(', ')})`);
      args.push(...q.seriesIds);
    }
    args.push(q.limit);
    return this.#db
      .prepare(
        `SELECT ${COLUMNS} FROM feedback WHERE ${where.join(' AND ')} ORDER BY created_ms DESC, id DESC LIMIT ?`,
      )
      .all(...args)
      .map(toRecord);
  }

  async forSeries(seriesId: number, limit: number): Promise<FeedbackRecord[]> {
    return this.#db
      .prepare(
        `SELECT ${COLUMNS} FROM feedback WHERE series_id = ? ORDER BY created_ms DESC, id DESC LIMIT ?`,
      )
      .all(seriesId, limit)
      .map(toRecord)
      .reverse();
  }

  async labelledSeries(): Promise<number[]> {
    return this.#db
      .prepare('SELECT series_id FROM feedback_series ORDER BY series_id')
      .all()
      .map((r) => Number(r.series_id));
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}

function toRecord(row: Record<string, SQLOutputValue>): FeedbackRecord {
  return {
    id: String(row.id),
    tenant: String(row.tenant),
    seriesId: Number(row.series_id),
    anomalyStart: Number(row.anomaly_start),
    label: String(row.label) as FeedbackLabel,
    note: String(row.note),
    actor: String(row.actor),
    createdMs: Number(row.created_ms),
    peakValue: Number(row.peak_value),
    peakExpected: row.peak_expected === null ? Number.NaN : Number(row.peak_expected),
    peakScore: Number(row.peak_score),
  };
}
