/**
 * FeedbackStore: people's labels on anomalies (core/feedback/label.ts), with who gave each and
 * when. Embedded: SQLite `feedback.db` under the data dir; scaled out: PostgreSQL. A label is
 * keyed by its anomaly: labelling an anomaly again replaces its label (and its id). Every label
 * belongs to a tenant; `get` and `remove` see only the tenant's own.
 *
 * Change cursor: every change of a series' labels (put, remove) gives the series a new change
 * number, larger than every number given before and visible in the order given, so a process
 * that polls `changedSince(last)` sees each series whose labels changed, once per poll, at a
 * cost bounded by the changes (how `vigil detector` learns labels: app/feedback-poll.ts).
 */
import type { FeedbackLabel } from '../core/feedback/label.ts';

export interface FeedbackRecord {
  /** Stable id, named by `DELETE /api/v1/feedback/{id}`. */
  id: string;
  tenant: string;
  seriesId: number;
  /** The anomaly's start: with `seriesId`, its id `<seriesId>-<start>`. */
  anomalyStart: number;
  label: FeedbackLabel;
  note: string;
  /** `key:<API key id>` or `anonymous`. */
  actor: string;
  /** Epoch ms when it was given. */
  createdMs: number;
  /** The anomaly's peak as labelled (what the pipeline learns). */
  peakValue: number;
  peakExpected: number;
  peakScore: number;
}

export interface FeedbackQuery {
  tenant: string;
  /** Only these series; all of the tenant's when absent. */
  seriesIds?: readonly number[];
  limit: number;
}

/** A series whose labels changed, with the change number of its latest change. */
export interface FeedbackChange {
  seriesId: number;
  seq: number;
}

export interface FeedbackStore {
  /** Stores `records` in one transaction, each replacing any label on the same anomaly; durable when it resolves. */
  put(records: readonly FeedbackRecord[]): Promise<void>;
  /** The tenant's label `id`; undefined for another tenant's. */
  get(tenant: string, id: string): Promise<FeedbackRecord | undefined>;
  /** Removes the tenant's label `id`; false when it has none of that id. */
  remove(tenant: string, id: string): Promise<boolean>;
  /** Matching labels, newest first, at most `q.limit`. */
  list(q: FeedbackQuery): Promise<FeedbackRecord[]>;
  /** The series' newest `limit` labels, oldest first (what its pipeline learns). */
  forSeries(seriesId: number, limit: number): Promise<FeedbackRecord[]>;
  /** Every series that has had a label and is not deleted (their pipelines are set again after a restart). */
  labelledSeries(): Promise<number[]>;
  /**
   * Series whose labels changed after change number `seq`, in change order, each once (with its
   * latest change), at most `limit`. MUST read the newest committed state (never a lagging replica).
   */
  changedSince(seq: number, limit: number): Promise<FeedbackChange[]>;
  /** The newest change number (0 before any): a poller starting now starts after it. */
  lastChange(): Promise<number>;
  /** Deletes every label of these series (they are deleted); returns how many labels went. Idempotent. */
  deleteSeries(seriesIds: readonly number[]): Promise<number>;
  close(): Promise<void>;
}
