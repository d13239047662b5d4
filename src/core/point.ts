/** Points as they cross the system. `ts` is epoch milliseconds, `value` a finite float64. */
import type { Tags } from './series.ts';

/** A point as parsed from an ingest format, before its series is resolved to an id. */
export interface IngestPoint {
  metric: string;
  tags: Tags;
  ts: number;
  value: number;
}

/** A batch of points of already-registered series (ids from the SeriesCatalog); columnar. */
export interface PointBatch {
  seriesIds: Int32Array;
  ts: Float64Array;
  values: Float64Array;
}

/** What a detector says about one point. `expected`/`lower`/`upper` are NaN where it has no band. */
export interface Score {
  score: number;
  expected: number;
  lower: number;
  upper: number;
}

/** A point with its score and verdict, as stored and queried. */
export interface ScoredPoint {
  ts: number;
  value: number;
  score: number;
  expected: number;
  lower: number;
  upper: number;
  anomalous: boolean;
}

/** Earliest and latest accepted timestamps: years 1970..2999 in epoch ms. */
export const MIN_TS = 0;
export const MAX_TS = 32503680000000;
