/**
 * Deleting series scaled out (`vigil api`, DELETE /api/v1/series), in this order:
 *
 * 1. One PostgreSQL transaction deletes the catalog rows, configs, anomalies and checkpointed
 *    states and writes the tombstones. From its commit the series is gone for every process: the
 *    key is unknown to the catalog (the same key ingested later gets a new id from the sequence),
 *    and detectors and other API servers learn the tombstone at their next poll.
 * 2. This process forgets the keys it cached, and deletes the series' points in InfluxDB.
 * 3. The tombstones are marked purged.
 *
 * A crash after 1 leaves no way back for the series (its id is never resolved again); points it
 * left in InfluxDB are invisible to queries (they go through the catalog) and the retention sweep
 * deletes them (it finishes every tombstone not purged after FINISH_AFTER_MS). The detectors, at
 * their poll, drop the series' state and its points still in Kafka, and delete what they wrote of
 * it between 1 and then (see detector-worker.ts).
 */
import type { SeriesDeletion } from '../adapters/http/query-routes.ts';
import type { ScaledOut } from './backends.ts';

/** A tombstone not purged this long after the deletion is taken as interrupted by a crash. */
export const FINISH_AFTER_MS = 60_000;

export type ScaledDeletionBackends = Pick<ScaledOut, 'tombstones' | 'catalog' | 'points'>;

/** The delete of QueryServiceDeps.deleteSeries for `vigil api`. */
export function scaledDeletion(
  out: ScaledDeletionBackends,
  now: () => number,
): (seriesIds: number[]) => Promise<SeriesDeletion> {
  return async (seriesIds) => {
    const { removed, anomalies } = await out.tombstones.remove(seriesIds, now());
    if (removed.length === 0) return { series: 0, points: 0, anomalies: 0 };
    const ids = removed.map((t) => t.id);
    out.catalog.forget(ids);
    const points = await out.points.deleteSeries(ids);
    await out.tombstones.markPurged(ids, now());
    return { series: ids.length, points, anomalies };
  };
}

/** Finishes deletions a crash interrupted between steps 1 and 3; returns the points it deleted. */
export async function finishDeletions(out: ScaledDeletionBackends, nowMs: number): Promise<number> {
  const ids = await out.tombstones.unpurged(nowMs - FINISH_AFTER_MS);
  if (ids.length === 0) return 0;
  const points = await out.points.deleteSeries(ids);
  await out.tombstones.purge(ids);
  await out.tombstones.markPurged(ids, nowMs);
  return points;
}
