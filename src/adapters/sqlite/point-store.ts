/**
 * The PointStore port on `store.db`: a series' scored points, read from the chunks checkpoints
 * wrote (./store-db.ts), found through the two-level chunk directory (`chunk_runs`, then
 * `chunk_recent`). Reads only; rows past `visibleRowid()` (a commit not yet resolved) stay hidden.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ScoredPoint } from '../../core/point.ts';
import type { PointColumns } from '../../core/point-columns.ts';
import type { PointStore } from '../../ports/point-store.ts';
import { chunkColumns, decodeChunkInto, decodeRowids } from './chunk-codec.ts';

export class SqlitePointStore implements PointStore {
  readonly #db: DatabaseSync;
  readonly #visibleRowid: () => number;
  readonly #runs: StatementSync;
  readonly #recent: StatementSync;
  readonly #chunk: StatementSync;

  /** `db` has store.db's tables; `visibleRowid`: the highest chunk rowid a read may return. */
  constructor(db: DatabaseSync, visibleRowid: () => number) {
    this.#db = db;
    this.#visibleRowid = visibleRowid;
    this.#runs = db.prepare(
      'SELECT first, chunks FROM chunk_runs WHERE series_id = ? AND end_ts >= ? AND start_ts < ?',
    );
    this.#recent = db.prepare(
      'SELECT chunk FROM chunk_recent WHERE series_id = ? AND end_ts >= ? AND start_ts < ?',
    );
    this.#chunk = db.prepare('SELECT data FROM chunks WHERE rowid = ?');
  }

  async range(seriesId: number, from: number, to: number): Promise<ScoredPoint[]> {
    return decodeAll(this.#chunksOf(seriesId, from, to), from, to, []);
  }

  /**
   * The chunks that hold the points `range` returns, as columns in write order (their ts not
   * filtered, nor sorted where late points made chunks overlap): for a reader that scans them
   * all without an object per point, such as a chart's downsampling (core/downsample.ts).
   */
  async chunkColumns(seriesId: number, from: number, to: number): Promise<PointColumns[]> {
    return this.#chunksOf(seriesId, from, to).map(chunkColumns);
  }

  /** The series' chunks that may hold points with from ≤ ts < to, in write order. */
  #chunksOf(seriesId: number, from: number, to: number): Uint8Array[] {
    // One read transaction, so a compaction moving entries between the two tables is seen whole
    // or not at all. Inline, a checkpoint being written may hold one open on this connection
    // already (its rows are past #visibleRowid, so they stay hidden).
    const own = !this.#db.isTransaction;
    if (own) this.#db.exec('BEGIN');
    const ids: number[] = [];
    const visible = this.#visibleRowid();
    try {
      for (const row of this.#runs.iterate(seriesId, from, to)) {
        if (row.chunks === null) ids.push(Number(row.first));
        else for (const id of decodeRowids(row.chunks as Uint8Array)) ids.push(id);
      }
      for (const row of this.#recent.iterate(seriesId, from, to)) ids.push(Number(row.chunk));
      // Write order: a series' chunks hold its points in arrival order.
      ids.sort((a, b) => a - b);
      const chunks: Uint8Array[] = [];
      for (const id of ids) {
        if (id > visible) break;
        const row = this.#chunk.get(id);
        if (row !== undefined) chunks.push(row.data as Uint8Array);
      }
      if (own) this.#db.exec('COMMIT');
      return chunks;
    } catch (err) {
      if (own && this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }
}

/** Decodes the chunks' points with from ≤ ts < to into `out`, in ts order. */
function decodeAll(
  chunks: readonly Uint8Array[],
  from: number,
  to: number,
  out: ScoredPoint[],
): ScoredPoint[] {
  let sorted = true;
  for (const data of chunks) {
    const before = out.length;
    decodeChunkInto(data, from, to, out);
    // Late points make chunks overlap or hold ts out of order; sort only when that happened.
    for (let i = Math.max(1, before); sorted && i < out.length; i++) {
      if (out[i]!.ts < out[i - 1]!.ts) sorted = false;
    }
  }
  if (!sorted) out.sort((a, b) => a.ts - b.ts);
  return out;
}
