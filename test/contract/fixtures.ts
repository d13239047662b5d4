/** Shared values for the port contract suites. */
import type { Anomaly } from '../../src/core/anomaly.ts';
import type { ScoredPoint } from '../../src/core/point.ts';
import type { PointBatch } from '../../src/ports/log.ts';

export const batch = (ids: number[], t0: number): PointBatch => ({
  seriesIds: Int32Array.from(ids),
  ts: Float64Array.from(ids.map((_, i) => t0 + i)),
  values: Float64Array.from(ids.map((id, i) => id * 100 + i)),
});

export const pt = (ts: number, value: number, anomalous = false): ScoredPoint => ({
  ts,
  value,
  score: anomalous ? 0.9999 : 0.1,
  expected: value - 1,
  lower: value - 2,
  upper: value + 2,
  anomalous,
});

export const anomaly = (seriesId: number, start: number, end: number, open: boolean): Anomaly => ({
  seriesId,
  start,
  end,
  peakScore: 0.99,
  peakValue: 5,
  peakExpected: 1,
  direction: 'up',
  points: 2,
  detector: 'ewma',
  open,
});

/** A restartable adapter under test: `reopen` closes it and opens the same storage again. */
export interface Reopenable<T> {
  reopen(): Promise<T>;
  close(): Promise<void>;
}
