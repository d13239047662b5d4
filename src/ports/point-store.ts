/**
 * PointStore: scored points per series. Writes happen only inside a checkpoint (see
 * CheckpointStore), which makes them exactly-once; reads return points in ts order.
 */
import type { ScoredPoint } from '../core/point.ts';

export interface PointStore {
  /** Points of `seriesId` with from ≤ ts < to, sorted by ts. */
  range(seriesId: number, from: number, to: number): ScoredPoint[];
}
