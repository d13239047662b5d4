/**
 * Where `vigil train` reads what it trains on: the series a selector picks, their stored points
 * over a time range, and the feedback labels people gave on their anomalies. One adapter today,
 * the HTTP API of a running Vigil (adapters/vigil-api), which works the same against `vigil serve`
 * and the scaled-out `vigil api`, with the caller's API key and tenant.
 *
 * Errors: VIGIL_ERR_UNAVAILABLE (retriable) when the source cannot be reached or answers 5xx;
 * the source's own error (code and message) otherwise, e.g. VIGIL_ERR_BAD_REQUEST for a selector
 * it refuses, VIGIL_ERR_UNAUTHENTICATED for a missing key.
 */
import type { TrainingLabel } from '../core/models/backtest.ts';

export interface HistoryPoints {
  /** Sorted, distinct. */
  ts: Float64Array;
  values: Float64Array;
}

export interface TrainingHistory {
  /** What it reads from, for logs and errors: `vigil http://127.0.0.1:8080`. */
  readonly description: string;
  /** Keys of the series `selector` matches, sorted; at most `limit` (more: VIGIL_ERR_QUERY_LIMIT). */
  series(selector: string, limit: number): Promise<string[]>;
  /** Every stored point of `key` in [from, to), oldest first. */
  points(key: string, from: number, to: number): Promise<HistoryPoints>;
  /** The feedback labels on anomalies of the series `selector` matches, by series key. */
  labels(selector: string): Promise<Map<string, TrainingLabel[]>>;
}
