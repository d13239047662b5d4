/**
 * AnomalyStore on PostgreSQL: reads the anomalies that checkpoints committed (see
 * checkpoint-store.ts). Reads tolerate lag (replica, see PgPools), so anomalies stay queryable
 * while the primary is down. Same filters as the embedded store: `from` keeps anomalies that end
 * at or after it, `to` those that start before it; newest start first, ties by series id.
 */
import type { Anomaly, AnomalyQuery } from '../../core/anomaly.ts';
import type { AnomalyStore } from '../../ports/meta-store.ts';
import { float8, floatOrNaN, int } from './codec.ts';
import type { PgPools, Row } from './pools.ts';

const toAnomaly = (r: Row): Anomaly => ({
  seriesId: int(r.series_id),
  start: int(r.start_ms),
  end: int(r.end_ms),
  peakScore: r.peak_score as number,
  peakValue: r.peak_value as number,
  peakExpected: floatOrNaN(r.peak_expected),
  direction: r.direction as Anomaly['direction'],
  points: int(r.points),
  detector: r.detector as string,
  open: r.open as boolean,
});

const ceilInt = (t: number): number =>
  Math.min(Number.MAX_SAFE_INTEGER, Math.max(Number.MIN_SAFE_INTEGER, Math.ceil(t)));

export class PgAnomalyStore implements AnomalyStore {
  readonly #pools: PgPools;

  /** Does not own `pools`. */
  constructor(pools: PgPools) {
    this.#pools = pools;
  }

  async anomalies(q: AnomalyQuery): Promise<Anomaly[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => {
      args.push(v);
      return `$${args.length}`;
    };
    if (q.seriesIds !== undefined) {
      if (q.seriesIds.length === 0) return [];
      where.push(`series_id = ANY(${arg([...q.seriesIds])}::int[])`);
    }
    // Times are integers in the table, so rounding the bounds up keeps the same rows and lets a
    // fractional or infinite bound compare with the bigint columns (and their index).
    if (q.from !== undefined) where.push(`end_ms >= ${arg(ceilInt(q.from))}::bigint`);
    if (q.to !== undefined) where.push(`start_ms < ${arg(ceilInt(q.to))}::bigint`);
    if (q.minScore !== undefined) where.push(`peak_score >= ${arg(float8(q.minScore))}::float8`);
    if (q.openOnly === true) where.push('open');
    const rows = await this.#pools.read(
      'query anomalies',
      `SELECT * FROM anomalies ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY start_ms DESC, series_id LIMIT ${arg(ceilInt(Math.max(0, q.limit)))}::bigint`,
      args,
    );
    return rows.map(toAnomaly);
  }
}
