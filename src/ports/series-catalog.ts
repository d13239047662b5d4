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
  /** Ids of `keys` in order; unknown keys are registered durably, all-or-nothing. */
  resolve(keys: readonly string[], nowMs: number): Promise<Int32Array>;
  /** Id of a registered key, or undefined. */
  idOf(key: string): Promise<number | undefined>;
  get(id: number): Promise<SeriesInfo | undefined>;
  count(): Promise<number>;
  /** Number of series of one tenant (core/series.ts TENANT_TAG; `default` counts the untagged). */
  countOf(tenant: string): Promise<number>;
  /** Every series, ordered by id (the embedded and small deployments; large ones page by selector). */
  all(): Promise<SeriesInfo[]>;
}
