/**
 * Merges a slow series' small chunks in store.db (./store-db.ts), so that reading a long range
 * of it (a chart of a year of 10 s data) reads a few hundred chunks and their rollups, not one
 * chunk per checkpoint: at 10 s a point and a checkpoint every 5 s, a year is ~3 million chunks
 * of one point, read at ~200,000 chunks/s.
 *
 * Runs after a compaction (CheckpointWriter.compactIfDue), over the runs (chunk_runs entries) of
 * the series it touched, leaving out the run it just made. Two steps, each a run of chunks
 * becoming one chunk:
 * - flatten: a run of several chunks averaging under FLATTEN_BELOW rows becomes one chunk (every
 *   such run at the tail, back to the first that is one chunk or too full);
 * - tiers: while the single-chunk runs under SMALL_RUN_ROWS rows at the tail hold TIER_FANOUT
 *   consecutive runs of the same size tier (⌊log₄ rows⌋), the newest such four become one.
 * A call rewrites about MERGE_BUDGET_ROWS rows at most; the series it did not reach wait for the
 * next call (CheckpointWriter calls it once per checkpoint while any wait), which is why more
 * than the newest older run may be left to flatten.
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
/**
 * Rows one `merge` call rewrites at most (it stops after the series that passes it); the series
 * left wait for the next call. Unbounded, a compaction of 10,000 series written at 25 points/s
 * each (chunks of ~16 rows) rewrote ~2 million rows in one transaction every few seconds, and
 * acknowledged ingest stalled ~300 ms behind it (bench/README.md, "Ingest").
 */
export const MERGE_BUDGET_ROWS = 65_536;

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
  readonly #budget: number;
  /** Series still to look at (→ the `first` of their newest run, left out), oldest first. */
  readonly #pending = new Map<number, number>();

  constructor(db: DatabaseSync, chunks: ChunkRows, budget = MERGE_BUDGET_ROWS) {
    this.#budget = budget;
    this.#db = db;
    this.#chunks = chunks;
    this.#runsOf = db.prepare('SELECT end_ts, first, chunks FROM chunk_runs WHERE series_id = ?');
    this.#rowsOf = db.prepare('SELECT points FROM chunks WHERE rowid = ?');
    this.#chunk = db.prepare('SELECT upto, data FROM chunks WHERE rowid = ?');
  }

  /** Series whose merge is still to come (a call stopped at its budget before them). */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Merges the small chunks of the series `newRuns` names (series id → the `first` of the run a
   * compaction just made, left out) and of those an earlier call left, oldest first, in one
   * transaction, until about the budget's rows are rewritten; the rest wait for the next call
   * (`newRuns` may be empty). The caller MUST hold no transaction.
   */
  merge(newRuns: ReadonlyMap<number, number>): MergeCounts {
    const counts: MergeCounts = { read: 0, written: 0, rows: 0 };
    // A series already waiting keeps its place; its newest run is now the one just made.
    for (const [sid, newest] of newRuns) this.#pending.set(sid, newest);
    if (this.#pending.size === 0) return counts;
    writeTransaction(this.#db, () => {
      for (const [sid, newest] of this.#pending) {
        if (counts.rows >= this.#budget) break;
        this.#mergeSeries(sid, newest, counts);
        this.#pending.delete(sid);
      }
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
    // Flatten from the tail back: a merge the budget put off leaves several compactions' runs
    // unflattened. The first run that is one chunk, or too full to flatten, ends the walk: the
    // runs before it were merged as far as they go already.
    for (let i = runs.length - 1; i >= 0; i--) {
      const r = runs[i]!;
      if (r.chunks.length === 1 || this.#rows(r) >= FLATTEN_BELOW * r.chunks.length) break;
      runs[i] = this.#mergeRuns(sid, [r], counts);
    }
    for (;;) {
      // The small single-chunk runs at the tail: the runs before the first that is not were merged
      // as far as they go.
      let lo = runs.length;
      while (lo > 0 && runs[lo - 1]!.chunks.length === 1 && this.#rows(runs[lo - 1]!) < SMALL_RUN_ROWS) lo--;
      // Their newest TIER_FANOUT consecutive runs of one tier become one (not only the last four:
      // a merge the budget put off finds several tiers' worth).
      let at = -1;
      for (let i = runs.length - TIER_FANOUT; i >= lo && at < 0; i--) {
        const t = tier(this.#rows(runs[i]!));
        if (runs.slice(i, i + TIER_FANOUT).every((r) => tier(this.#rows(r)) === t)) at = i;
      }
      if (at < 0) return;
      runs.splice(at, TIER_FANOUT, this.#mergeRuns(sid, runs.slice(at, at + TIER_FANOUT), counts));
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
