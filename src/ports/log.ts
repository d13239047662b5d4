/**
 * Log: the durable, ordered record of accepted points. Ingest appends one entry per request
 * (atomic: the whole request or nothing) and acknowledges only after `append` resolves, at which
 * point the entry MUST survive a process crash. The engine reads entries in offset order.
 */

import type { PointBatch } from '../core/point.ts';

export type { PointBatch } from '../core/point.ts';

export interface LogEntry {
  offset: number;
  batch: PointBatch;
}

export interface Log {
  /**
   * Appends each batch as its own entry, all durable when this resolves; returns their offsets.
   * Callers MUST NOT start an append before the previous one settled (offsets are assigned in order).
   */
  append(batches: readonly PointBatch[]): Promise<number[]>;
  /** Entries with offset > `after`, in order, at most `limit`. */
  read(after: number, limit: number): Promise<LogEntry[]>;
  /** Highest offset appended so far (0 when empty). */
  endOffset(): Promise<number>;
  /** Drops entries with offset ≤ `upTo`; called once a checkpoint covers them. */
  truncate(upTo: number): Promise<void>;
}
