/**
 * Writes packed checkpoints (./codec.ts) into store.db's tables on one connection: on the store's
 * worker thread (./store-worker.ts), or on the main thread in slices (SqliteStoreDb inline). The
 * tables MUST exist already (SqliteStoreDb creates them before it starts a writer).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { chunkTimeRange, type PackedCheckpoint } from './codec.ts';

/** Rows written between two yields of `write`. */
const WRITE_STEP = 32;

export class CheckpointWriter {
  readonly #db: DatabaseSync;
  readonly #insertChunk: StatementSync;
  readonly #upsertAnomaly: StatementSync;
  readonly #upsertState: StatementSync;
  readonly #setOffset: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#insertChunk = db.prepare(
      'INSERT INTO chunks (series_id, start_ts, end_ts, points, data, upto) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#upsertAnomaly = db.prepare(
      `INSERT OR REPLACE INTO anomalies
       (series_id, start_ts, end_ts, peak_score, peak_value, peak_expected, direction, points, detector, open)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // States arrive as UTF-8 bytes; SQLite reinterprets them as TEXT without a round trip through JS.
    this.#upsertState = db.prepare(
      'INSERT OR REPLACE INTO states (series_id, state) VALUES (?, CAST(? AS TEXT))',
    );
    this.#setOffset = db.prepare('UPDATE checkpoint SET offset = ? WHERE id = 1');
  }

  /**
   * Writes `p` in one transaction, committed when the generator returns; rolled back if it throws
   * or is abandoned (`return()`). Yields every few rows so a caller on the main thread can pause
   * between slices. Returns the rowid of the last chunk it inserted (0 when none).
   */
  *write(p: PackedCheckpoint): Generator<void, number> {
    this.#db.exec('BEGIN IMMEDIATE');
    let committed = false;
    let lastRowid = 0;
    try {
      const ci = p.chunkIndex;
      for (let r = 0; r < ci.length; r += 3) {
        const chunk = p.chunkBytes.subarray(ci[r + 1]!, ci[r + 1]! + ci[r + 2]!);
        const [lo, hi] = chunkTimeRange(chunk);
        const n = new Uint32Array(chunk.buffer, chunk.byteOffset, 1)[0]!;
        lastRowid = Number(this.#insertChunk.run(ci[r]!, lo, hi, n, chunk, p.offset).lastInsertRowid);
        if ((r / 3) % WRITE_STEP === WRITE_STEP - 1) yield;
      }
      for (let i = 0; i < p.anomalies.length; i++) {
        const a = p.anomalies[i]!;
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
        if (i % WRITE_STEP === WRITE_STEP - 1) yield;
      }
      const si = p.stateIndex;
      for (let r = 0; r < si.length; r += 3) {
        this.#upsertState.run(si[r]!, p.stateBytes.subarray(si[r + 1]!, si[r + 1]! + si[r + 2]!));
        if ((r / 3) % WRITE_STEP === WRITE_STEP - 1) yield;
      }
      if (!p.pointsOnly) this.#setOffset.run(p.offset);
      this.#db.exec('COMMIT');
      committed = true;
      return lastRowid;
    } finally {
      if (!committed && this.#db.isTransaction) this.#db.exec('ROLLBACK');
    }
  }

  /**
   * Copies committed WAL frames into the database file without waiting for readers (PASSIVE), so
   * the WAL stays about one checkpoint long. For a connection with `wal_autocheckpoint = 0`, which
   * would otherwise never do it.
   */
  checkpointWal(): void {
    this.#db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  }
}
