/**
 * The CheckpointStore port on `store.db` (the engine side of the embedded store): scored points as
 * per-series chunks, anomalies, per-series engine state and the checkpoint offset. Everything here
 * is written only by `commit`, in one transaction, so points, anomalies, state and offset always
 * agree. The PointStore and AnomalyStore that read them back (./point-store.ts,
 * ./anomaly-store.ts) share this connection, so this class serves all three.
 *
 * Points are stored as one chunk row per series per write (an append-ordered rowid table, so many
 * interleaved series append cheaply). A chunk is found by series through a two-level directory:
 * `chunk_recent` gets one entry per new chunk and stays small; after a checkpoint, once it has
 * COMPACT_AT entries, they move to `chunk_runs` as one entry per series listing its chunks. One
 * big `(series_id, end_ts)` index over every chunk would take one entry per series per write, on
 * that series' own leaf page once it is big: ~10,000 leaf pages (40 MB through the WAL) per write
 * round at 10,000 series, which made ingest latency grow with the store. Now a write round dirties
 * the small table's pages and the big table takes one entry per series per compaction.
 *
 * Deleting a series and retention remove chunks with their directory entries on the same writer,
 * one transaction each, queued behind the commits sent before (./chunk-pruner.ts). A deleted
 * series' id is never given out again (the catalog's tombstones, ./series-catalog.ts), so rows a
 * crash left behind cannot be mistaken for another series': the engine deletes them again when
 * it recovers (src/app/engine-worker.ts).
 */
import type { DatabaseSync } from 'node:sqlite';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import type { Anomaly, AnomalyQuery } from '../../core/anomaly.ts';
import type { RangePart } from '../../core/downsample.ts';
import { VigilError } from '../../core/errors.ts';
import type { ScoredPoint } from '../../core/point.ts';
import type { PointColumns } from '../../core/point-columns.ts';
import type { Checkpoint, CheckpointData, CheckpointStore } from '../../ports/checkpoint-store.ts';
import type { AnomalyStore } from '../../ports/meta-store.ts';
import type { PointStore } from '../../ports/point-store.ts';
import { SqliteAnomalyStore } from './anomaly-store.ts';
import { CheckpointWriter } from './checkpoint-writer.ts';
import { packCheckpoint } from './chunk-codec.ts';
import { noPrune, type PruneCounts } from './chunk-pruner.ts';
import { writeTransaction } from './database.ts';
import { SqlitePointStore } from './point-store.ts';
import { StoreWriter } from './store-writer.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS chunks (
  series_id INTEGER NOT NULL,
  start_ts REAL NOT NULL,
  end_ts REAL NOT NULL,
  points INTEGER NOT NULL,
  data BLOB NOT NULL,
  upto INTEGER NOT NULL DEFAULT 0 -- log offset the chunk's points reach (see flushPoints)
);
-- The rollup (core/rollup.ts; chunk-codec.ts encodeRollup) of each chunk of at least
-- ROLLUP_MIN_ROWS rows in ts order, by the chunk's rowid: what a chart zoomed far out reads.
-- Chunks written before it existed have none and are read whole.
CREATE TABLE IF NOT EXISTS chunk_rollups (
  chunk INTEGER PRIMARY KEY,
  data BLOB NOT NULL
);
-- One entry per chunk written since the last compaction (see CheckpointWriter.compactIfDue).
CREATE TABLE IF NOT EXISTS chunk_recent (
  series_id INTEGER NOT NULL,
  end_ts REAL NOT NULL,
  start_ts REAL NOT NULL,
  chunk INTEGER NOT NULL,
  PRIMARY KEY (series_id, end_ts, chunk)
) WITHOUT ROWID;
-- One entry per series per compaction: its chunks' rowids, ascending, as little-endian float64s;
-- NULL when the run is the single chunk 'first'.
CREATE TABLE IF NOT EXISTS chunk_runs (
  series_id INTEGER NOT NULL,
  end_ts REAL NOT NULL,
  start_ts REAL NOT NULL,
  first INTEGER NOT NULL,
  chunks BLOB,
  PRIMARY KEY (series_id, end_ts, first)
) WITHOUT ROWID;
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
  model TEXT, -- name@version of the served model that scored it (core/models/serving.ts); NULL: none
  PRIMARY KEY (series_id, start_ts)
);
CREATE INDEX IF NOT EXISTS anomalies_by_time ON anomalies (start_ts);
CREATE TABLE IF NOT EXISTS states (series_id INTEGER PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), offset INTEGER NOT NULL);
INSERT OR IGNORE INTO checkpoint (id, offset) VALUES (1, 0);
`;

/**
 * Main-thread work on a checkpoint yields to the event loop whenever it has run this long without
 * a break, so a big checkpoint never blocks ingest for more than a few milliseconds at a time.
 */
const SLICE_MS = 4;

/** Series deleted per store transaction (see `deleteSeries`). */
const DELETE_SLICE = 1000;

/** Runs a generator to its end, pausing for a turn whenever a slice has taken SLICE_MS. */
async function sliced<T>(steps: Generator<void, T>): Promise<T> {
  let lastYield = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
    if (performance.now() - lastYield > SLICE_MS) {
      await yieldTurn();
      lastYield = performance.now();
    }
  }
}

export class SqliteStoreDb implements PointStore, CheckpointStore, AnomalyStore {
  readonly #db: DatabaseSync;
  readonly #points: SqlitePointStore;
  readonly #anomalies: SqliteAnomalyStore;
  /** Exactly one of the two: commits on a worker thread, or here. */
  readonly #thread: StoreWriter | null;
  readonly #inline: CheckpointWriter | null;
  /**
   * Highest chunk rowid of the checkpoints whose `commit` has resolved; `range` reads no further.
   * Until a commit resolves, its points are still the caller's to show (the runtime merges them
   * into queries from its in-flight copy), and this connection could already see its rows: inline,
   * the open transaction's own writes; on the worker, the time between its COMMIT and its reply.
   * Chunk rowids only grow: the writer gives them out from a high-water mark that deleting chunks
   * (even the newest) never lowers (CheckpointWriter).
   */
  #visibleRowid: number;
  /** Inline: the write in flight (its transaction stays open across slices); prunes wait for it. */
  #inlineWrite: Promise<unknown> | null = null;

  /**
   * `writer`: where commits run. `worker` (what the server uses) writes on a worker thread with its
   * own connection to `path` (the file `db` has open), so inserts, COMMIT and WAL checkpoints do
   * not block the event loop; this connection then only reads. `inline` writes through `db`, in
   * slices (the only choice for `:memory:`).
   */
  constructor(
    db: DatabaseSync,
    writer: ({ kind: 'inline' } | { kind: 'worker'; path: string; synchronous: 'full' | 'normal' }) & {
      compactAt?: number;
      /** Rows a compaction's merge rewrites per checkpoint at most (MERGE_BUDGET_ROWS). */
      mergeBudgetRows?: number;
    } = { kind: 'inline' },
  ) {
    this.#db = db;
    const hadDirectory =
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chunk_runs'").get() !==
      undefined;
    db.exec(SCHEMA);
    // Data dirs made before points were flushed between checkpoints lack the column.
    if (
      !db
        .prepare('PRAGMA table_info(chunks)')
        .all()
        .some((c) => c.name === 'upto')
    )
      db.exec('ALTER TABLE chunks ADD COLUMN upto INTEGER NOT NULL DEFAULT 0');
    // Data dirs made before served models lack the anomaly's model.
    if (
      !db
        .prepare('PRAGMA table_info(anomalies)')
        .all()
        .some((c) => c.name === 'model')
    )
      db.exec('ALTER TABLE anomalies ADD COLUMN model TEXT');
    if (!hadDirectory) upgradeToDirectory(db);
    if (writer.kind === 'worker') {
      // The worker's connection checkpoints the WAL; a checkpoint here would block this thread.
      db.exec('PRAGMA wal_autocheckpoint = 0');
      this.#thread = new StoreWriter(
        writer.path,
        writer.synchronous,
        writer.compactAt,
        undefined,
        writer.mergeBudgetRows,
      );
      this.#inline = null;
    } else {
      this.#thread = null;
      this.#inline = new CheckpointWriter(db, writer.compactAt, writer.mergeBudgetRows);
    }
    this.#points = new SqlitePointStore(db, () => this.#visibleRowid);
    this.#anomalies = new SqliteAnomalyStore(db);
    this.#visibleRowid = Number(db.prepare('SELECT MAX(rowid) AS m FROM chunks').get()!.m ?? 0);
  }

  commit(data: CheckpointData): Promise<void> {
    return this.#write(data);
  }

  flushPoints(offset: number, points: Map<number, PointColumns>): Promise<void> {
    return this.#write({ offset, points, anomalies: [], states: new Map(), pointsOnly: true });
  }

  async #write(data: CheckpointData & { pointsOnly?: boolean }): Promise<void> {
    // Packing copies the points and states, so the caller's maps are free again once it is done.
    const packed = await sliced(packCheckpoint(data, this.#thread?.takeSpare()));
    let lastRowid: number;
    if (this.#thread !== null) lastRowid = await this.#thread.commit(packed);
    else {
      const writing = sliced(this.#inline!.write(packed));
      this.#inlineWrite = writing;
      try {
        lastRowid = await writing;
      } catch (err) {
        throw new VigilError('VIGIL_ERR_STORAGE', `checkpoint failed: ${(err as Error).message}`, {
          cause: err,
        });
      } finally {
        this.#inlineWrite = null;
      }
    }
    // Nothing runs between here and the caller's continuation but promise reactions, so no read
    // sees these rows while the caller still shows its own copy of them.
    if (lastRowid > this.#visibleRowid) this.#visibleRowid = lastRowid;
    // Inline, the compaction a checkpoint may start runs here (the worker runs its own).
    if (this.#inline !== null && data.pointsOnly !== true) this.#inline.compactIfDue();
  }

  /**
   * Deletes everything stored of these series: chunks, anomalies, engine state. On the writer
   * thread its first slice is queued now, behind the commits already sent: a caller that sends no
   * commit with these series after this call leaves none of their rows behind.
   */
  async deleteSeries(ids: readonly number[]): Promise<PruneCounts> {
    const total = noPrune();
    // In slices, each its own transaction, so a checkpoint sent meanwhile waits for one slice
    // only (~0.5 s for 1,000 series of 15 chunks each: bench/retention.ts). The first is queued now;
    // the series are no longer in any checkpoint sent after this call, so later slices may follow
    // such checkpoints.
    for (let i = 0; i < ids.length; i += DELETE_SLICE) {
      const sids = Int32Array.from(ids.slice(i, i + DELETE_SLICE));
      const r =
        this.#thread !== null
          ? await this.#thread.deleteSeries(sids)
          : await this.#inlinePrune((w) => w.deleteSeries(sids));
      total.chunks += r.chunks;
      total.points += r.points;
      total.anomalies += r.anomalies;
      total.recent += r.recent;
    }
    return total;
  }

  /**
   * Retention: drops the chunks of series `ids[i]` whose points are all older than `cutoffs[i]`,
   * and its closed anomalies that ended before it (see ChunkPruner.retain).
   */
  retain(ids: Int32Array, cutoffs: Float64Array): Promise<PruneCounts> {
    if (this.#thread !== null) return this.#thread.retain(ids, cutoffs);
    return this.#inlinePrune((w) => w.retain(ids, cutoffs));
  }

  async #inlinePrune(fn: (w: CheckpointWriter) => PruneCounts): Promise<PruneCounts> {
    while (this.#inlineWrite !== null) await this.#inlineWrite.catch(() => {});
    return fn(this.#inline!);
  }

  async load(): Promise<Checkpoint> {
    const offset = Number(this.#db.prepare('SELECT offset FROM checkpoint WHERE id = 1').get()!.offset);
    // Flushed after the last checkpoint: the replay from `offset` scores these points again. Chunks
    // are written in offset order, so these are the newest rows: walk back from the end to find them.
    let keep = 0;
    for (const row of this.#db.prepare('SELECT rowid, upto FROM chunks ORDER BY rowid DESC').iterate()) {
      if (Number(row.upto) <= offset) {
        keep = Number(row.rowid);
        break;
      }
    }
    writeTransaction(this.#db, () => {
      this.#db.prepare('DELETE FROM chunks WHERE rowid > ?').run(keep);
      // Compaction only ever moves chunks a checkpoint covers into chunk_runs.
      this.#db.prepare('DELETE FROM chunk_recent WHERE chunk > ?').run(keep);
      // Rowids past `keep` are handed out again: no rollup of a dropped chunk may stay behind.
      this.#db.prepare('DELETE FROM chunk_rollups WHERE chunk > ?').run(keep);
    });
    this.#visibleRowid = Number(this.#db.prepare('SELECT MAX(rowid) AS m FROM chunks').get()!.m ?? 0);
    const states = new Map<number, string>();
    for (const row of this.#db.prepare('SELECT series_id, state FROM states').iterate()) {
      states.set(Number(row.series_id), String(row.state));
    }
    return { offset, states };
  }

  /** Scored points with from ≤ ts < to, as committed checkpoints left them (see SqlitePointStore). */
  range(seriesId: number, from: number, to: number): Promise<ScoredPoint[]> {
    return this.#points.range(seriesId, from, to);
  }

  /** The chunks holding `range`'s points, as columns in write order (SqlitePointStore.chunkColumns). */
  chunkColumns(seriesId: number, from: number, to: number): Promise<PointColumns[]> {
    return this.#points.chunkColumns(seriesId, from, to);
  }

  /** The chunks holding `range`'s points, rolled up where they can be (SqlitePointStore.chunkParts). */
  chunkParts(seriesId: number, from: number, to: number): Promise<RangePart[]> {
    return this.#points.chunkParts(seriesId, from, to);
  }

  anomalies(q: AnomalyQuery): Promise<Anomaly[]> {
    return this.#anomalies.anomalies(q);
  }

  /**
   * Closes the writer thread, then this connection. In that order: closing a WAL connection tries
   * the database's exclusive lock to see whether it is the last one (and checkpoint the WAL), and
   * a writer still committing then met "database is locked" (clean-clone CI, a server closed right
   * after it started).
   */
  async close(): Promise<void> {
    await this.#thread?.close();
    this.#db.close();
  }
}

/**
 * A store.db from before the chunk directory: every chunk a checkpoint covers becomes a run of
 * one, the rest (flushed past the checkpoint, dropped by the next load) recent entries; the old
 * per-chunk index goes.
 */
function upgradeToDirectory(db: DatabaseSync): void {
  writeTransaction(db, () =>
    db.exec(`INSERT INTO chunk_runs (series_id, end_ts, start_ts, first, chunks)
        SELECT series_id, end_ts, start_ts, rowid, NULL FROM chunks
        WHERE upto <= (SELECT offset FROM checkpoint WHERE id = 1);
      INSERT INTO chunk_recent (series_id, end_ts, start_ts, chunk)
        SELECT series_id, end_ts, start_ts, rowid FROM chunks
        WHERE upto > (SELECT offset FROM checkpoint WHERE id = 1);
      DROP INDEX IF EXISTS chunks_by_series;`),
  );
}
