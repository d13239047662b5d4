/**
 * CheckpointStore: commits, in one atomic step, everything the engine produced up to a log offset:
 * scored points, anomalies and per-series state. After a crash, `load` returns the last committed
 * checkpoint and the engine replays the log from its offset, so output equals an uninterrupted run.
 */

import type { Anomaly } from '../core/anomaly.ts';
import type { PointColumns } from '../core/point-columns.ts';

export interface CheckpointData {
  offset: number;
  /**
   * New scored points per series since the previous checkpoint (append-ordered). The columns are
   * the caller's again once `commit` settles (it reuses them): a store copies what it keeps.
   */
  points: Map<number, PointColumns>;
  /** Anomalies opened, extended or closed since the previous checkpoint (upsert on series+start). */
  anomalies: Anomaly[];
  /** Serialized engine state of each series that changed. */
  states: Map<number, string>;
}

export interface Checkpoint {
  offset: number;
  states: Map<number, string>;
}

/** What deleting series removed from a store. */
export interface StoredDeletion {
  /** Scored points (and the chunks that held them, where the store keeps chunks). */
  points: number;
  chunks: number;
  anomalies: number;
}

export interface CheckpointStore {
  /** Writes a checkpoint atomically. May yield between slices; resolves once durable. */
  commit(data: CheckpointData): Promise<void>;
  /**
   * The last committed checkpoint; `{offset: 0, states: empty}` when there is none. Points that
   * `flushPoints` wrote past its offset are dropped first: the replay from the offset scores them
   * again.
   */
  load(): Promise<Checkpoint>;
  /**
   * Optional: writes scored points ahead of the next checkpoint, so that one checkpoint's points
   * are not written in one burst. `offset` is the log offset the points reach (all of them come from
   * entries at or below it); they become part of the output once a checkpoint at or past it commits.
   * As with `commit`, the columns are the caller's again once it settles.
   */
  flushPoints?(offset: number, points: Map<number, PointColumns>): Promise<void>;
  /**
   * Optional: deletes everything stored of these series (points, anomalies, state), ordered after
   * every commit and flush already started. The caller MUST start none with these series after it.
   */
  deleteSeries?(seriesIds: readonly number[]): Promise<StoredDeletion>;
}
