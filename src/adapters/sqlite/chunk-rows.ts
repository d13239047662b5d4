/**
 * The rows of store.db's chunk tables (./store-db.ts) that go together: a chunk and its rollup
 * (written and removed as one), and a `chunk_runs` entry. Shared by the checkpoint writer, the
 * pruner and the merger, so a chunk never loses or outlives its rollup. Statements only: the
 * caller holds the write transaction.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { chunkTimeRange, encodeRowids, rollupOf } from './chunk-codec.ts';

export class ChunkRows {
  readonly #insertChunk: StatementSync;
  readonly #insertRollup: StatementSync;
  readonly #deleteChunk: StatementSync;
  readonly #deleteRollup: StatementSync;
  readonly #insertRun: StatementSync;
  readonly #deleteRun: StatementSync;

  constructor(db: DatabaseSync) {
    this.#insertChunk = db.prepare(
      'INSERT INTO chunks (rowid, series_id, start_ts, end_ts, points, data, upto) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#insertRollup = db.prepare('INSERT OR REPLACE INTO chunk_rollups (chunk, data) VALUES (?, ?)');
    this.#deleteChunk = db.prepare('DELETE FROM chunks WHERE rowid = ? RETURNING points');
    this.#deleteRollup = db.prepare('DELETE FROM chunk_rollups WHERE chunk = ?');
    this.#insertRun = db.prepare(
      'INSERT OR REPLACE INTO chunk_runs (series_id, end_ts, start_ts, first, chunks) VALUES (?, ?, ?, ?, ?)',
    );
    this.#deleteRun = db.prepare('DELETE FROM chunk_runs WHERE series_id = ? AND end_ts = ? AND first = ?');
  }

  /**
   * Inserts chunk `rowid` of series `sid` (`data` in encodeChunk's layout, 8-byte-aligned), with its
   * rollup when it gets one; returns its [lowest, highest] ts.
   */
  insert(rowid: number, sid: number, data: Uint8Array, upto: number): [number, number] {
    const [lo, hi] = chunkTimeRange(data);
    const n = new Uint32Array(data.buffer, data.byteOffset, 1)[0]!;
    this.#insertChunk.run(rowid, sid, lo, hi, n, data, upto);
    const rollup = rollupOf(data);
    if (rollup !== undefined) this.#insertRollup.run(rowid, rollup);
    return [lo, hi];
  }

  /** Deletes chunk `rowid` and its rollup; the points it held, or undefined when there was none. */
  remove(rowid: number): number | undefined {
    const gone = this.#deleteChunk.get(rowid);
    this.#deleteRollup.run(rowid);
    return gone === undefined ? undefined : Number(gone.points);
  }

  /** Writes the run of `sid` ending at `endTs` that lists `ids` (ascending). */
  insertRun(sid: number, endTs: number, startTs: number, ids: readonly number[]): void {
    this.#insertRun.run(sid, endTs, startTs, ids[0]!, ids.length === 1 ? null : encodeRowids(ids));
  }

  deleteRun(sid: number, endTs: number, first: number): void {
    this.#deleteRun.run(sid, endTs, first);
  }
}
