/** An anomaly is a maximal run of anomalous points of one series. */

import type { ModelRef } from './models/model.ts';

export interface Anomaly {
  seriesId: number;
  start: number;
  end: number;
  /** Highest score inside the run. */
  peakScore: number;
  /** Value at the peak and how far outside the band it was (NaN where the detector has no band). */
  peakValue: number;
  peakExpected: number;
  direction: 'up' | 'down' | 'unknown';
  points: number;
  detector: string;
  /**
   * The served model version whose pipeline scored the run (docs/models.md, "Serving and hot
   * reload"); absent when the series ran the default or a per-series config.
   */
  model?: ModelRef;
  /** True while the run has not ended (the last point seen was anomalous). */
  open: boolean;
}

export interface AnomalyQuery {
  seriesIds?: readonly number[];
  from?: number;
  to?: number;
  minScore?: number;
  openOnly?: boolean;
  limit: number;
}

/**
 * Whether `next` is not an older form of the same run than `stored`. A run's forms only grow: each
 * extension adds a point, and the closing form repeats the last one's points with `open` false. A
 * store that keeps only forms passing this test never moves a row backwards, whoever writes late
 * (a replay from an older checkpoint, a member that lost its partition and does not know yet).
 */
export function supersedes(next: Anomaly, stored: Anomaly): boolean {
  return next.points > stored.points || (next.points === stored.points && (stored.open || !next.open));
}

/** The anomalies of `list` that `q` selects, newest start first, at most `q.limit` (AnomalyStore order). */
export function selectAnomalies(list: Iterable<Anomaly>, q: AnomalyQuery): Anomaly[] {
  return [...list]
    .filter((a) => matchesAnomalyQuery(a, q))
    .sort((a, b) => b.start - a.start || a.seriesId - b.seriesId)
    .slice(0, q.limit);
}

/** Whether `a` passes the filters of `q` (not its limit). */
export function matchesAnomalyQuery(a: Anomaly, q: AnomalyQuery): boolean {
  return (
    (q.seriesIds === undefined || q.seriesIds.includes(a.seriesId)) &&
    (q.from === undefined || a.end >= q.from) &&
    (q.to === undefined || a.start < q.to) &&
    (q.minScore === undefined || a.peakScore >= q.minScore) &&
    (q.openOnly !== true || a.open)
  );
}

/**
 * An anomaly's id in the API: `<seriesId>-<start>`. A run is keyed by (series, start) everywhere it
 * is stored, so the id needs no table of its own and stays the same as the run grows and closes.
 */
export function anomalyId(a: Pick<Anomaly, 'seriesId' | 'start'>): string {
  return `${a.seriesId}-${a.start}`;
}

/** The (series, start) of an id made by `anomalyId`; undefined when `id` is not one. */
export function parseAnomalyId(id: string): { seriesId: number; start: number } | undefined {
  const m = /^(\d{1,15})-(-?\d{1,16})$/.exec(id);
  if (m === null) return undefined;
  const seriesId = Number(m[1]);
  const start = Number(m[2]);
  return Number.isSafeInteger(seriesId) && Number.isSafeInteger(start) ? { seriesId, start } : undefined;
}
