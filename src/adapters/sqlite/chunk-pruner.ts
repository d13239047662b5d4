/**
 * Removes chunks from store.db (./store-db.ts) together with their directory entries and rollups, so that no
 * `chunk_recent` or `chunk_runs` entry ever names a chunk that is gone: whole series (a deleted
 * series, with its anomalies and engine state), and chunks whose points are all older than a
 * cutoff (retention, with the closed anomalies that ended before it). Every chunk of a series is
 * reachable through its directory entries (every chunk write adds one), so nothing here scans the
 * chunks table.
 *
 * Runs on the connection of store.db's one writer (CheckpointWriter), inside its transaction: the
 * caller begins and commits. Removing the highest rowid would let SQLite hand it out again, and
 * readers assume chunk rowids only grow (SqliteStoreDb's `#visibleRowid`): the writer therefore
 * assigns rowids itself from a high-water mark that deletes never lower.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { decodeRowids } from './chunk-codec.ts';
import type { ChunkRows } from './chunk-rows.ts';

/** What a prune removed. `recent`: chunk_recent entries (the writer's compaction count). */
export interface PruneCounts {
  chunks: number;
  points: number;
  anomalies: number;
  recent: number;
}

export const noPrune = (): PruneCounts => ({ chunks: 0, points: 0, anomalies: 0, recent: 0 });

export class ChunkPruner {
  readonly #recentOf: StatementSync;
  readonly #recentOlder: StatementSync;
  readonly #deleteRecent: StatementSync;
  readonly #runsOf: StatementSync;
  readonly #runsStartingBefore: StatementSync;
  readonly #chunkSpan: StatementSync;
  readonly #deleteAnomalies: StatementSync;
  readonly #deleteClosedBefore: StatementSync;
  readonly #deleteState: StatementSync;

  readonly #chunks: ChunkRows;

  constructor(db: DatabaseSync, chunks: ChunkRows) {
    this.#chunks = chunks;
    this.#recentOf = db.prepare('SELECT end_ts, chunk FROM chunk_recent WHERE series_id = ?');
    this.#recentOlder = db.prepare(
      'SELECT end_ts, chunk FROM chunk_recent WHERE series_id = ? AND end_ts < ?',
    );
    this.#deleteRecent = db.prepare(
      'DELETE FROM chunk_recent WHERE series_id = ? AND end_ts = ? AND chunk = ?',
    );
    this.#runsOf = db.prepare('SELECT end_ts, first, chunks FROM chunk_runs WHERE series_id = ?');
    this.#runsStartingBefore = db.prepare(
      'SELECT end_ts, first, chunks FROM chunk_runs WHERE series_id = ? AND start_ts < ?',
    );
    this.#chunkSpan = db.prepare('SELECT start_ts, end_ts FROM chunks WHERE rowid = ?');
    this.#deleteAnomalies = db.prepare('DELETE FROM anomalies WHERE series_id = ?');
    this.#deleteClosedBefore = db.prepare(
      'DELETE FROM anomalies WHERE series_id = ? AND open = 0 AND end_ts < ?',
    );
    this.#deleteState = db.prepare('DELETE FROM states WHERE series_id = ?');
  }

  /** Everything of these series: chunks, directory entries, anomalies, engine state. */
  deleteSeries(ids: ArrayLike<number>, into: PruneCounts = noPrune()): PruneCounts {
    for (let i = 0; i < ids.length; i++) {
      const sid = ids[i]!;
      for (const row of this.#recentOf.all(sid)) {
        this.#chunk(Number(row.chunk), into);
        this.#deleteRecent.run(sid, row.end_ts, row.chunk);
        into.recent++;
      }
      for (const row of this.#runsOf.all(sid)) {
        for (const id of runChunks(row)) this.#chunk(id, into);
        this.#chunks.deleteRun(sid, Number(row.end_ts), Number(row.first));
      }
      into.anomalies += Number(this.#deleteAnomalies.run(sid).changes);
      this.#deleteState.run(sid);
    }
    return into;
  }

  /**
   * Retention: for series `ids[i]`, removes the chunks whose points all lie before `cutoffs[i]`
   * (a chunk straddling the cutoff stays whole) and its closed anomalies that ended before it.
   */
  retain(ids: ArrayLike<number>, cutoffs: ArrayLike<number>, into: PruneCounts = noPrune()): PruneCounts {
    for (let i = 0; i < ids.length; i++) {
      const sid = ids[i]!;
      const cutoff = cutoffs[i]!;
      for (const row of this.#recentOlder.all(sid, cutoff)) {
        this.#chunk(Number(row.chunk), into);
        this.#deleteRecent.run(sid, row.end_ts, row.chunk);
        into.recent++;
      }
      // A run starting before the cutoff holds at least one chunk that may be old enough.
      for (const row of this.#runsStartingBefore.all(sid, cutoff)) this.#trimRun(sid, row, cutoff, into);
      into.anomalies += Number(this.#deleteClosedBefore.run(sid, cutoff).changes);
    }
    return into;
  }

  /** Drops a run's chunks that end before `cutoff`; the rest stay listed under a run of their own. */
  #trimRun(sid: number, row: Record<string, unknown>, cutoff: number, into: PruneCounts): void {
    const keep: number[] = [];
    let start = Number.POSITIVE_INFINITY;
    let removed = false;
    for (const id of runChunks(row)) {
      const span = this.#chunkSpan.get(id);
      if (span === undefined) {
        removed = true;
        continue;
      }
      if (Number(span.end_ts) < cutoff) {
        this.#chunk(id, into);
        removed = true;
        continue;
      }
      keep.push(id);
      start = Math.min(start, Number(span.start_ts));
    }
    if (!removed) return;
    this.#chunks.deleteRun(sid, row.end_ts as number, row.first as number);
    // The run's end stays: it is its newest chunk's, and that chunk ends after the cutoff.
    if (keep.length > 0) this.#chunks.insertRun(sid, row.end_ts as number, start, keep);
  }

  #chunk(rowid: number, into: PruneCounts): void {
    const points = this.#chunks.remove(rowid);
    if (points === undefined) return;
    into.chunks++;
    into.points += points;
  }
}

/** A run's chunk rowids, ascending (see store-db.ts, chunk_runs). */
function runChunks(row: Record<string, unknown>): number[] {
  return row.chunks === null ? [Number(row.first)] : decodeRowids(row.chunks as Uint8Array);
}
