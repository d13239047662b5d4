/**
 * PointStore: scored points per series. Writes happen only inside a checkpoint (see
 * CheckpointStore), which makes them exactly-once; reads return points in ts order.
 */
import type { Downsampled } from '../core/downsample.ts';
import type { ScoredPoint } from '../core/point.ts';
import type { PointColumns } from '../core/point-columns.ts';

export interface PointStore {
  /** Points of `seriesId` with from ≤ ts < to, sorted by ts. */
  range(seriesId: number, from: number, to: number): Promise<ScoredPoint[]>;
  /**
   * Optional: the range downsampled by the rule of core/downsample.ts (every anomalous point, each
   * time bucket's lowest and highest point; a store may place the bucket edges its own way, e.g. on
   * its rollup blocks or its GROUP BY time() windows), with the count before downsampling, computed
   * where the points are, for a store that can do it cheaper than materialising the whole range.
   * Absent: the caller reads `range` and downsamples.
   */
  downsampled?(seriesId: number, from: number, to: number, maxPoints: number): Promise<Downsampled>;
}

/**
 * PointSink: where a checkpoint writes scored points when they live in another system than the
 * checkpoint itself (InfluxDB scaled out). Writes MUST be idempotent: a point rewritten with the
 * same (series, ts) replaces the earlier one, so a replay after a crash changes nothing.
 */
export interface PointSink {
  write(points: ReadonlyMap<number, PointColumns>): Promise<void>;
}
