/**
 * FeedbackStore: people's labels on anomalies (core/feedback/label.ts), with who gave each and
 * when. Embedded: SQLite `feedback.db` under the data dir; scaled out it would be PostgreSQL. A
 * label is keyed by its anomaly: labelling an anomaly again replaces its label (and its id).
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

export interface FeedbackStore {
  /** Stores `records` in one transaction, each replacing any label on the same anomaly; durable when it resolves. */
  put(records: readonly FeedbackRecord[]): Promise<void>;
  get(id: string): Promise<FeedbackRecord | undefined>;
  /** Removes the label; false when there was none. */
  remove(id: string): Promise<boolean>;
  /** Matching labels, newest first, at most `q.limit`. */
  list(q: FeedbackQuery): Promise<FeedbackRecord[]>;
  /** The series' newest `limit` labels, oldest first (what its pipeline learns). */
  forSeries(seriesId: number, limit: number): Promise<FeedbackRecord[]>;
  /** Every series that has ever had a label (their pipelines are set again after a restart). */
  labelledSeries(): Promise<number[]>;
  close(): Promise<void>;
}
