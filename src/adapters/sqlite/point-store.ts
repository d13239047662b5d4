/**
 * The PointStore port on `store.db`: a series' scored points, read from the chunks checkpoints
 * wrote (./store-db.ts), found through the two-level chunk directory (`chunk_runs`, then
 * `chunk_recent`). Reads only; rows past `visibleRowid()` (a commit not yet resolved) stay hidden.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { RangePart } from '../../core/downsample.ts';
import type { ScoredPoint } from '../../core/point.ts';
import type { PointColumns } from '../../core/point-columns.ts';
import type { PointStore } from '../../ports/point-store.ts';
import { chunkColumns, decodeChunkInto, decodeRollup, decodeRowids } from './chunk-codec.ts';

export class SqlitePointStore implements PointStore {
  readonly #db: DatabaseSync;
  readonly #visibleRowid: () => number;
  readonly #runs: StatementSync;
  readonly #recent: StatementSync;
  readonly #chunk: StatementSync;
  readonly #rollup: StatementSync;

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
    this.#rollup = db.prepare('SELECT data FROM chunk_rollups WHERE chunk = ?');
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

  /**
   * chunkColumns, but a chunk that lies wholly in the range and has a rollup comes as its rollup
   * (a few representative rows, core/rollup.ts): what downsampleParts reads for a chart zoomed
   * far out.
   */
  async chunkParts(seriesId: number, from: number, to: number): Promise<RangePart[]> {
    return this.#read(seriesId, from, to, (id) => {
      const rolled = this.#rollup.get(id);
      if (rolled !== undefined) {
        const r = decodeRollup(rolled.data as Uint8Array);
        if (r.firstTs[0]! >= from && r.lastTs[r.lastTs.length - 1]! < to) return r;
      }
      const row = this.#chunk.get(id);
      return row === undefined ? undefined : chunkColumns(row.data as Uint8Array);
    });
  }

  /** The series' chunks that may hold points with from ≤ ts < to, in write order. */
  #chunksOf(seriesId: number, from: number, to: number): Uint8Array[] {
    return this.#read(seriesId, from, to, (id) => this.#chunk.get(id)?.data as Uint8Array | undefined);
  }

  /** `get` of each chunk rowid that may hold points with from ≤ ts < to, in write order, left out when undefined. */
  #read<T>(seriesId: number, from: number, to: number, get: (id: number) => T | undefined): T[] {
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
      const chunks: T[] = [];
      for (const id of ids) {
        if (id > visible) break;
        const chunk = get(id);
        if (chunk !== undefined) chunks.push(chunk);
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
