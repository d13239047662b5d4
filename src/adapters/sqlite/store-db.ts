/**
 * The engine side of the embedded store (`store.db`): scored points as per-series chunks, anomalies,
 * per-series engine state and the checkpoint offset. Everything here is written only by
 * `commit`, in one transaction, so points, anomalies, state and offset always agree.
 *
 * Points are stored as one chunk row per series per checkpoint (append-ordered rowid table with a
 * (series_id, end_ts) index), which keeps writes cheap for many interleaved series and makes a
 * per-series range read a short index scan.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import type { Anomaly, AnomalyQuery } from '../../core/anomaly.ts';
import { VigilError } from '../../core/errors.ts';
import type { ScoredPoint } from '../../core/point.ts';
import type { Checkpoint, CheckpointData, CheckpointStore } from '../../ports/checkpoint-store.ts';
import type { AnomalyStore } from '../../ports/meta-store.ts';
import type { PointStore } from '../../ports/point-store.ts';
import { decodeChunkInto, encodeChunk } from './codec.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS chunks (
  series_id INTEGER NOT NULL,
  start_ts REAL NOT NULL,
  end_ts REAL NOT NULL,
  points INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_series ON chunks (series_id, end_ts);
CREATE TABLE IF NOT EXISTS anomalies (
  series_id INTEGER NOT NULL,
  start_ts REAL NOT NULL,
  end_ts REAL NOT NULL,
  peak_score REAL NOT NULL,
  peak_value REAL NOT NULL,
  peak_expected REAL,
  direction TEXT NOT NULL,
  points INTEGER NOT NULL,
  detector TEXT NOT NULL,
  open INTEGER NOT NULL,
  PRIMARY KEY (series_id, start_ts)
);
CREATE INDEX IF NOT EXISTS anomalies_by_time ON anomalies (start_ts);
CREATE TABLE IF NOT EXISTS states (series_id INTEGER PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), offset INTEGER NOT NULL);
INSERT OR IGNORE INTO checkpoint (id, offset) VALUES (1, 0);
`;

/**
 * A checkpoint yields to the event loop whenever it has worked this long without a break, so a big
 * checkpoint never blocks ingest for more than a few milliseconds at a time.
 */
const SLICE_MS = 4;

export class SqliteStoreDb implements PointStore, CheckpointStore, AnomalyStore {
  readonly #db: DatabaseSync;
  readonly #insertChunk: StatementSync;
  readonly #upsertAnomaly: StatementSync;
  readonly #upsertState: StatementSync;
  readonly #setOffset: StatementSync;
  readonly #range: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(SCHEMA);
    this.#insertChunk = db.prepare(
      'INSERT INTO chunks (series_id, start_ts, end_ts, points, data) VALUES (?, ?, ?, ?, ?)',
    );
    this.#upsertAnomaly = db.prepare(
      `INSERT OR REPLACE INTO anomalies
       (series_id, start_ts, end_ts, peak_score, peak_value, peak_expected, direction, points, detector, open)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#upsertState = db.prepare('INSERT OR REPLACE INTO states (series_id, state) VALUES (?, ?)');
    this.#setOffset = db.prepare('UPDATE checkpoint SET offset = ? WHERE id = 1');
    this.#range = db.prepare(
      'SELECT data FROM chunks WHERE series_id = ? AND end_ts >= ? AND start_ts < ? ORDER BY rowid',
    );
  }

  async commit(data: CheckpointData): Promise<void> {
    this.#db.exec('BEGIN IMMEDIATE');
    const pause = async () => {
      await yieldTurn();
      return performance.now();
    };
    let lastYield = performance.now();
    try {
      let n = 0;
      for (const [sid, points] of data.points) {
        if (points.length === 0) continue;
        let lo = points.ts[0]!;
        let hi = lo;
        for (let i = 1; i < points.length; i++) {
          const t = points.ts[i]!;
          if (t < lo) lo = t;
          if (t > hi) hi = t;
        }
        this.#insertChunk.run(sid, lo, hi, points.length, encodeChunk(points));
        if ((++n & 31) === 0 && performance.now() - lastYield > SLICE_MS) lastYield = await pause();
      }
      for (const a of data.anomalies) {
        this.#upsertAnomaly.run(
          a.seriesId,
          a.start,
          a.end,
          a.peakScore,
          a.peakValue,
          Number.isNaN(a.peakExpected) ? null : a.peakExpected,
          a.direction,
          a.points,
          a.detector,
          a.open ? 1 : 0,
        );
        if ((++n & 31) === 0 && performance.now() - lastYield > SLICE_MS) lastYield = await pause();
      }
      for (const [sid, state] of data.states) {
        this.#upsertState.run(sid, state);
        if ((++n & 31) === 0 && performance.now() - lastYield > SLICE_MS) lastYield = await pause();
      }
      this.#setOffset.run(data.offset);
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw new VigilError('VIGIL_ERR_STORAGE', `checkpoint failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async load(): Promise<Checkpoint> {
    const offset = Number(this.#db.prepare('SELECT offset FROM checkpoint WHERE id = 1').get()!.offset);
    const states = new Map<number, string>();
    for (const row of this.#db.prepare('SELECT series_id, state FROM states').iterate()) {
      states.set(Number(row.series_id), String(row.state));
    }
    return { offset, states };
  }

  async range(seriesId: number, from: number, to: number): Promise<ScoredPoint[]> {
    const out: ScoredPoint[] = [];
    let sorted = true;
    for (const row of this.#range.iterate(seriesId, from, to)) {
      const before = out.length;
      decodeChunkInto(row.data as Uint8Array, from, to, out);
      // Late points make chunks overlap or hold ts out of order; sort only when that happened.
      for (let i = Math.max(1, before); sorted && i < out.length; i++) {
        if (out[i]!.ts < out[i - 1]!.ts) sorted = false;
      }
    }
    if (!sorted) out.sort((a, b) => a.ts - b.ts);
    return out;
  }

  async anomalies(q: AnomalyQuery): Promise<Anomaly[]> {
    const where: string[] = [];
    const args: (number | string)[] = [];
    if (q.seriesIds !== undefined) {
      if (q.seriesIds.length === 0) return [];
      where.push(`series_id IN (${q.seriesIds.map(() => '?').join(',')})`);
      args.push(...q.seriesIds);
    }
    if (q.from !== undefined) {
      where.push('end_ts >= ?');
      args.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('start_ts < ?');
      args.push(q.to);
    }
    if (q.minScore !== undefined) {
      where.push('peak_score >= ?');
      args.push(q.minScore);
    }
    if (q.openOnly === true) where.push('open = 1');
    const sql = `SELECT * FROM anomalies ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY start_ts DESC, series_id LIMIT ?`;
    args.push(q.limit);
    return this.#db
      .prepare(sql)
      .all(...args)
      .map((r) => ({
        seriesId: Number(r.series_id),
        start: Number(r.start_ts),
        end: Number(r.end_ts),
        peakScore: Number(r.peak_score),
        peakValue: Number(r.peak_value),
        peakExpected: r.peak_expected === null ? Number.NaN : Number(r.peak_expected),
        direction: String(r.direction) as Anomaly['direction'],
        points: Number(r.points),
        detector: String(r.detector),
        open: Number(r.open) === 1,
      }));
  }

  close(): void {
    this.#db.close();
  }
}
