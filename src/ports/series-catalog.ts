/**
 * SeriesCatalog: the registry of known series, each with a stable integer id. `resolve` registers
 * new series durably before any log entry refers to them.
 */
import type { Tags } from '../core/series.ts';

export interface SeriesInfo {
  id: number;
  key: string;
  metric: string;
  tags: Tags;
  createdMs: number;
}

export interface SeriesCatalog {
  /** Ids of `keys` in order; unknown keys are registered, all-or-nothing. */
  resolve(keys: readonly string[], nowMs: number): Int32Array;
  /** Id of a known key, or undefined. */
  idOf(key: string): number | undefined;
  get(id: number): SeriesInfo | undefined;
  count(): number;
  all(): Iterable<SeriesInfo>;
}
