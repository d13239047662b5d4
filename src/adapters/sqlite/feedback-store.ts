/**
 * FeedbackStore on SQLite, in its own file (`feedback.db` under the data dir): labels are few and
 * written by the API, never by the ingest log's writer. One row per labelled anomaly (a new label
 * on it replaces the row); `feedback_series` remembers every series that had a label, so a
 * restart can tell a series whose last label was removed to forget it, with the change number
 * of its latest change (`feedback_seq` counts them: one writer, so numbers follow commit order).
 */
import type { DatabaseSync, SQLInputValue, SQLOutputValue, StatementSync } from 'node:sqlite';
import type { FeedbackLabel } from '../../core/feedback/label.ts';
import type {
  FeedbackChange,
  FeedbackQuery,
  FeedbackRecord,
  FeedbackStore,
} from '../../ports/feedback-store.ts';
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
CREATE TABLE IF NOT EXISTS feedback_seq (k INTEGER PRIMARY KEY CHECK (k = 0), seq INTEGER NOT NULL);
INSERT OR IGNORE INTO feedback_seq (k, seq) VALUES (0, 0);
`;

const COLUMNS =
  'id, tenant, series_id, anomaly_start, label, note, actor, created_ms, peak_value, peak_expected, peak_score';

/** Series deleted per statement (SQLite's bound-parameter limit is 32,766). */
const DELETE_CHUNK = 1000;

export class SqliteFeedbackStore implements FeedbackStore {
  readonly #db: DatabaseSync;
  readonly #replace: StatementSync;
  readonly #bump: StatementSync;
  readonly #changed: StatementSync;
  readonly #get: StatementSync;

  /** Owns `db`: `close` closes it. */
  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(SCHEMA);
    // feedback.db files made before the change cursor lack the column (their series count as
    // changed at 0: a poller starts after the newest change anyway).
    if (
      !db
        .prepare('PRAGMA table_info(feedback_series)')
        .all()
        .some((c) => c.name === 'seq')
    )
      db.exec('ALTER TABLE feedback_series ADD COLUMN seq INTEGER NOT NULL DEFAULT 0');
    db.exec('CREATE INDEX IF NOT EXISTS feedback_series_by_seq ON feedback_series (seq)');
    this.#replace = db.prepare(
      `INSERT OR REPLACE INTO feedback (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#bump = db.prepare('UPDATE feedback_seq SET seq = seq + 1 WHERE k = 0 RETURNING seq');
    this.#changed = db.prepare(
      `INSERT INTO feedback_series (series_id, seq) VALUES (?, ?)
       ON CONFLICT (series_id) DO UPDATE SET seq = excluded.seq`,
    );
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM feedback WHERE id = ? AND tenant = ?`);
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
      }
      for (const sid of new Set(records.map((r) => r.seriesId))) this.#markChanged(sid);
    });
  }

  async get(tenant: string, id: string): Promise<FeedbackRecord | undefined> {
    const row = this.#get.get(id, tenant);
    return row === undefined ? undefined : toRecord(row);
  }

  async remove(tenant: string, id: string): Promise<boolean> {
    return storageTransaction(this.#db, 'feedback.db', () => {
      const row = this.#db
        .prepare('DELETE FROM feedback WHERE id = ? AND tenant = ? RETURNING series_id')
        .get(id, tenant);
      if (row === undefined) return false;
      this.#markChanged(Number(row.series_id));
      return true;
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

  async changedSince(seq: number, limit: number): Promise<FeedbackChange[]> {
    return this.#db
      .prepare('SELECT series_id, seq FROM feedback_series WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(seq, limit)
      .map((r) => ({ seriesId: Number(r.series_id), seq: Number(r.seq) }));
  }

  async lastChange(): Promise<number> {
    return Number(this.#db.prepare('SELECT seq FROM feedback_seq WHERE k = 0').get()!.seq);
  }

  async deleteSeries(seriesIds: readonly number[]): Promise<number> {
    return storageTransaction(this.#db, 'feedback.db', () => {
      let n = 0;
      for (let i = 0; i < seriesIds.length; i += DELETE_CHUNK) {
        const chunk = seriesIds.slice(i, i + DELETE_CHUNK);
        const marks = chunk.map(() => '?').join(', ');
        n += Number(
          this.#db.prepare(`DELETE FROM feedback WHERE series_id IN (${marks})`).run(...chunk).changes,
        );
        this.#db.prepare(`DELETE FROM feedback_series WHERE series_id IN (${marks})`).run(...chunk);
      }
      return n;
    });
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }

  #markChanged(seriesId: number): void {
    this.#changed.run(seriesId, Number(this.#bump.get()!.seq));
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
