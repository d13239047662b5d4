/**
 * Writes packed checkpoints (./codec.ts) into store.db's tables on one connection: on the store's
 * worker thread (./store-worker.ts), or on the main thread in slices (SqliteStoreDb inline). The
 * tables MUST exist already (SqliteStoreDb creates them before it starts a writer).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { modelLabel } from '../../core/models/serving.ts';
import type { PackedCheckpoint } from './chunk-codec.ts';
import { ChunkMerger, MERGE_BUDGET_ROWS } from './chunk-merger.ts';
import { ChunkPruner, type PruneCounts } from './chunk-pruner.ts';
import { ChunkRows } from './chunk-rows.ts';
import { writeTransaction } from './database.ts';

/** Rows written between two yields of `write`. */
const WRITE_STEP = 32;

/**
 * chunk_recent entries that make the next checkpoint compact them into chunk_runs (see
 * SqliteStoreDb). A write round rewrites about all of chunk_recent's pages (its entries are spread
 * over every series) and a compaction about one chunk_runs page per series, so the two costs meet
 * near sqrt(series × round rate × page size …); ~130,000 (~4 MB) keeps both at a few MB/s with
 * 10,000 series at 250,000 points/s.
 */
export const COMPACT_AT = 131_072;

/**
 * Checkpoints after which a compaction is due whatever the count of entries: a store of few,
 * slow series (one chunk of one point per checkpoint) then merges its chunks within the hour
 * (720 checkpoints of 5 s) instead of after COMPACT_AT of them (a week for one series).
 */
export const COMPACT_EVERY = 720;

export class CheckpointWriter {
  readonly #db: DatabaseSync;
  readonly #chunks: ChunkRows;
  readonly #upsertAnomaly: StatementSync;
  readonly #upsertState: StatementSync;
  readonly #setOffset: StatementSync;
  readonly #insertRecent: StatementSync;
  readonly #recentEntries: StatementSync;
  readonly #compactAt: number;
  /** chunk_recent entries (those written by this writer, plus those there when it opened). */
  #recent: number;
  /** compactIfDue calls (one per checkpoint) since the last compaction. */
  #checkpoints = 0;
  readonly #pruner: ChunkPruner;
  readonly #merger: ChunkMerger;
  /**
   * The highest chunk rowid this writer gave out (or found): new chunks take the next ones, so a
   * rowid freed by a prune is never handed out again while readers may remember it.
   */
  #lastRowid: number;

  /**
   * `compactAt`: chunk_recent entries that make `compactIfDue` compact (tests set it low;
   * Infinity: never, the chunks as checkpoints wrote them, a bench's baseline); `mergeBudgetRows`:
   * see MERGE_BUDGET_ROWS (tests set it low; 0 defers every merge).
   */
  constructor(db: DatabaseSync, compactAt = COMPACT_AT, mergeBudgetRows = MERGE_BUDGET_ROWS) {
    this.#db = db;
    this.#compactAt = compactAt;
    this.#recent = Number(db.prepare('SELECT COUNT(*) AS n FROM chunk_recent').get()!.n);
    this.#lastRowid = Number(db.prepare('SELECT MAX(rowid) AS m FROM chunks').get()!.m ?? 0);
    this.#chunks = new ChunkRows(db);
    this.#pruner = new ChunkPruner(db, this.#chunks);
    this.#merger = new ChunkMerger(db, this.#chunks, mergeBudgetRows);
    this.#insertRecent = db.prepare(
      'INSERT INTO chunk_recent (series_id, end_ts, start_ts, chunk) VALUES (?, ?, ?, ?)',
    );
    // Primary-key order: grouped by series.
    this.#recentEntries = db.prepare('SELECT series_id, end_ts, start_ts, chunk FROM chunk_recent');
    this.#upsertAnomaly = db.prepare(
      `INSERT OR REPLACE INTO anomalies
       (series_id, start_ts, end_ts, peak_score, peak_value, peak_expected, direction, points, detector, open, model)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
        lastRowid = ++this.#lastRowid;
        const [lo, hi] = this.#chunks.insert(lastRowid, ci[r]!, chunk, p.offset);
        this.#insertRecent.run(ci[r]!, hi, lo, lastRowid);
        this.#recent++;
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
          a.model === undefined ? null : modelLabel(a.model),
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

  /** Deletes the series' chunks, anomalies and engine state (./chunk-pruner.ts), in one transaction. */
  deleteSeries(ids: ArrayLike<number>): PruneCounts {
    return this.#prune((p) => p.deleteSeries(ids));
  }

  /** Retention of the series `ids[i]` before `cutoffs[i]` (./chunk-pruner.ts), in one transaction. */
  retain(ids: ArrayLike<number>, cutoffs: ArrayLike<number>): PruneCounts {
    return this.#prune((p) => p.retain(ids, cutoffs));
  }

  #prune(fn: (p: ChunkPruner) => PruneCounts): PruneCounts {
    const counts = writeTransaction(this.#db, () => fn(this.#pruner));
    this.#recent -= counts.recent;
    return counts;
  }

  /**
   * Moves every chunk_recent entry into chunk_runs (one run per series) once there are COMPACT_AT
   * of them or COMPACT_EVERY checkpoints went by, in one transaction. Call only right after a
   * checkpoint committed (not a points flush): then the checkpoint covers every chunk written, so
   * no run ever lists a chunk that `load` drops.
   */
  compactIfDue(): void {
    const db = this.#db;
    // Inline, another write's transaction may be open on this connection: compact next time.
    this.#checkpoints++;
    const due =
      this.#recent >= this.#compactAt ||
      (this.#recent > 0 && this.#checkpoints >= COMPACT_EVERY && Number.isFinite(this.#compactAt));
    if (db.isTransaction) return;
    if (!due) {
      // Merges a compaction left for later (the merger's budget) go on, a slice per checkpoint.
      if (this.#merger.pending > 0) this.#mergeSafely(new Map());
      return;
    }
    // Series → the first chunk of the run made for it now.
    const made = new Map<number, number>();
    writeTransaction(db, () => {
      let sid = -1;
      let lo = 0;
      let hi = 0;
      let ids: number[] = [];
      const emit = () => {
        if (ids.length === 0) return;
        ids.sort((a, b) => a - b);
        this.#chunks.insertRun(sid, hi, lo, ids);
        made.set(sid, ids[0]!);
      };
      for (const row of this.#recentEntries.iterate()) {
        const s = Number(row.series_id);
        const start = Number(row.start_ts);
        const end = Number(row.end_ts);
        if (s !== sid) {
          emit();
          sid = s;
          lo = start;
          hi = end;
          ids = [];
        }
        if (start < lo) lo = start;
        if (end > hi) hi = end;
        ids.push(Number(row.chunk));
      }
      emit();
      db.exec('DELETE FROM chunk_recent');
    });
    this.#recent = 0;
    this.#checkpoints = 0;
    // Then the slow series' small chunks merge (./chunk-merger.ts), in a transaction of its own,
    // up to the merger's budget (the rest in the next checkpoints).
    this.#mergeSafely(made);
  }

  /** A failed merge leaves the chunks as they were, all readable; a later compaction tries again. */
  #mergeSafely(made: ReadonlyMap<number, number>): void {
    try {
      this.#merger.merge(made);
    } catch {}
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
