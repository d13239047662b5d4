/**
 * Merges a slow series' small chunks in store.db (./store-db.ts), so that reading a long range
 * of it (a chart of a year of 10 s data) reads a few hundred chunks and their rollups, not one
 * chunk per checkpoint: at 10 s a point and a checkpoint every 5 s, a year is ~3 million chunks
 * of one point, read at ~200,000 chunks/s.
 *
 * Runs after a compaction (CheckpointWriter.compactIfDue), over the runs (chunk_runs entries) of
 * the series it touched, leaving out the run it just made. Two steps, each a run of chunks
 * becoming one chunk:
 * - flatten: a run of several chunks averaging under FLATTEN_BELOW rows becomes one chunk;
 * - tiers: while the series' newest older runs end in TIER_FANOUT single-chunk runs under
 *   SMALL_RUN_ROWS rows of the same size tier (⌊log₄ rows⌋), those become one.
 * A point is so rewritten about log₄(SMALL_RUN_ROWS / rows per checkpoint) + 1 times, and only
 * for slow series: a series with bigger chunks is left as it is.
 *
 * A merged chunk holds its sources' rows in their order (reads are unchanged), spans their time
 * range, reaches their highest log offset (`upto`), and takes the rowid of the newest source:
 * rowids keep their order by offset (SqliteStoreDb.load walks them back from the newest), no
 * rowid is handed out twice, and the chunk is visible to a reader exactly when its newest source
 * was (SqliteStoreDb's `#visibleRowid`); the runs merged come from earlier compactions, so they
 * were all visible. One transaction per call, on the writer's connection.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { PointColumns } from '../../core/point-columns.ts';
import { chunkColumns, decodeRowids, encodeChunk } from './chunk-codec.ts';
import type { ChunkRows } from './chunk-rows.ts';
import { writeTransaction } from './database.ts';

/** Mean rows per chunk under which a run of several chunks is flattened into one. */
export const FLATTEN_BELOW = 64;
/** Rows from which a run takes no part in tier merges. */
export const SMALL_RUN_ROWS = 4_096;
/** Single-chunk runs of one tier that merge into one. */
export const TIER_FANOUT = 4;

/** What one `merge` call did. */
export interface MergeCounts {
  /** Chunks read (and deleted), chunks written in their place. */
  read: number;
  written: number;
  /** Rows rewritten. */
  rows: number;
}

interface Run {
  endTs: number;
  first: number;
  chunks: number[];
  rows: number;
}

const tier = (rows: number) => Math.floor(Math.log2(Math.max(1, rows)) / 2);

export class ChunkMerger {
  readonly #db: DatabaseSync;
  readonly #chunks: ChunkRows;
  readonly #runsOf: StatementSync;
  readonly #rowsOf: StatementSync;
  readonly #chunk: StatementSync;

  constructor(db: DatabaseSync, chunks: ChunkRows) {
    this.#db = db;
    this.#chunks = chunks;
    this.#runsOf = db.prepare('SELECT end_ts, first, chunks FROM chunk_runs WHERE series_id = ?');
    this.#rowsOf = db.prepare('SELECT points FROM chunks WHERE rowid = ?');
    this.#chunk = db.prepare('SELECT upto, data FROM chunks WHERE rowid = ?');
  }

  /**
   * Merges the small chunks of the series `newRuns` names (series id → the `first` of the run a
   * compaction just made, left out), in one transaction. The caller MUST hold no transaction.
   */
  merge(newRuns: ReadonlyMap<number, number>): MergeCounts {
    const counts: MergeCounts = { read: 0, written: 0, rows: 0 };
    writeTransaction(this.#db, () => {
      for (const [sid, newest] of newRuns) this.#mergeSeries(sid, newest, counts);
    });
    return counts;
  }

  #mergeSeries(sid: number, newest: number, counts: MergeCounts): void {
    const runs: Run[] = [];
    for (const row of this.#runsOf.iterate(sid)) {
      const first = Number(row.first);
      if (first === newest) continue;
      const chunks = row.chunks === null ? [first] : decodeRowids(row.chunks as Uint8Array);
      runs.push({ endTs: Number(row.end_ts), first, chunks, rows: -1 });
    }
    // Write order: the series' runs hold its chunks in consecutive stretches of rowids.
    runs.sort((a, b) => a.first - b.first);
    // Only the tail is looked at: the runs before it were merged as far as they go already.
    const last = runs[runs.length - 1];
    if (
      last !== undefined &&
      last.chunks.length > 1 &&
      this.#rows(last) < FLATTEN_BELOW * last.chunks.length
    ) {
      runs[runs.length - 1] = this.#mergeRuns(sid, [last], counts);
    }
    for (;;) {
      const tail = runs.slice(-TIER_FANOUT);
      if (tail.length < TIER_FANOUT) return;
      const t = tier(this.#rows(tail[0]!));
      const mergeable = tail.every(
        (r) => r.chunks.length === 1 && this.#rows(r) < SMALL_RUN_ROWS && tier(this.#rows(r)) === t,
      );
      if (!mergeable) return;
      runs.splice(-TIER_FANOUT, TIER_FANOUT, this.#mergeRuns(sid, tail, counts));
    }
  }

  /** The run's rows, looked up once. */
  #rows(r: Run): number {
    if (r.rows < 0) {
      r.rows = 0;
      for (const id of r.chunks) r.rows += Number(this.#rowsOf.get(id)?.points ?? 0);
    }
    return r.rows;
  }

  /** Replaces `runs` (consecutive, in write order) by one run of one chunk holding their rows. */
  #mergeRuns(sid: number, runs: readonly Run[], counts: MergeCounts): Run {
    const ids = runs.flatMap((r) => r.chunks);
    const rows = new PointColumns(
      Math.max(
        1,
        runs.reduce((n, r) => n + this.#rows(r), 0),
      ),
    );
    let upto = 0;
    for (const id of ids) {
      const row = this.#chunk.get(id);
      if (row === undefined) continue;
      rows.appendRange(
        chunkColumns(row.data as Uint8Array),
        Number.NEGATIVE_INFINITY,
        Number.POSITIVE_INFINITY,
      );
      upto = Math.max(upto, Number(row.upto));
      this.#chunks.remove(id);
      counts.read++;
    }
    for (const r of runs) this.#chunks.deleteRun(sid, r.endTs, r.first);
    if (rows.length === 0) return { endTs: 0, first: 0, chunks: [], rows: 0 };
    const rowid = Math.max(...ids);
    const endTs = Math.max(...runs.map((r) => r.endTs));
    const [start] = this.#chunks.insert(rowid, sid, encodeChunk(rows), upto);
    this.#chunks.insertRun(sid, endTs, start, [rowid]);
    counts.written++;
    counts.rows += rows.length;
    return { endTs, first: rowid, chunks: [rowid], rows: rows.length };
  }
}
