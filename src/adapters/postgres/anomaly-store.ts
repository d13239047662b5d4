/**
 * AnomalyStore and AnomalySink on PostgreSQL: reads the anomalies that checkpoints (see
 * checkpoint-store.ts) or the detectors' sinks wrote; `write` upserts them on the primary. Reads tolerate lag (replica, see PgPools), so anomalies stay queryable
 * while the primary is down. Same filters as the embedded store: `from` keeps anomalies that end
 * at or after it, `to` those that start before it; newest start first, ties by series id.
 */
import type { Anomaly, AnomalyQuery } from '../../core/anomaly.ts';
import { modelLabel, parseModelLabel } from '../../core/models/serving.ts';
import type { AnomalySink, AnomalyStore } from '../../ports/meta-store.ts';
import { float8, floatOrNaN, int } from './codec.ts';
import type { PgPools, Query, Row } from './pools.ts';

const toAnomaly = (r: Row): Anomaly => {
  const a: Anomaly = {
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
  };
  const model = typeof r.model === 'string' ? parseModelLabel(r.model) : undefined;
  if (model !== undefined) a.model = model;
  return a;
};

const ceilInt = (t: number): number =>
  Math.min(Number.MAX_SAFE_INTEGER, Math.max(Number.MIN_SAFE_INTEGER, Math.ceil(t)));

export class PgAnomalyStore implements AnomalyStore, AnomalySink {
  readonly #pools: PgPools;

  /** Does not own `pools`. */
  constructor(pools: PgPools) {
    this.#pools = pools;
  }

  async write(anomalies: readonly Anomaly[]): Promise<void> {
    if (anomalies.length === 0) return;
    await this.#pools.write('write anomalies', (query) => upsertAnomalies(query, anomalies));
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

/**
 * One statement for all anomalies; the last of several with the same (series, start) wins, and a
 * stored form newer than the one written stays.
 */
export async function upsertAnomalies(query: Query, list: readonly Anomaly[]): Promise<void> {
  if (list.length === 0) return;
  // ON CONFLICT DO UPDATE refuses to touch one row twice in a statement.
  const latest = new Map<string, Anomaly>();
  for (const a of list) latest.set(`${a.seriesId}:${a.start}`, a);
  const rows = [...latest.values()];
  await query(
    `INSERT INTO anomalies
       (series_id, start_ms, end_ms, peak_score, peak_value, peak_expected, direction, points, detector, open, model)
     SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::float8[], $5::float8[], $6::float8[],
                          $7::text[], $8::int[], $9::text[], $10::bool[], $11::text[])
     ON CONFLICT (series_id, start_ms) DO UPDATE SET
       end_ms = EXCLUDED.end_ms, peak_score = EXCLUDED.peak_score, peak_value = EXCLUDED.peak_value,
       peak_expected = EXCLUDED.peak_expected, direction = EXCLUDED.direction, points = EXCLUDED.points,
       detector = EXCLUDED.detector, open = EXCLUDED.open, model = EXCLUDED.model
     -- supersedes() in core/anomaly.ts: a run's forms only grow, so an older one is left out.
     WHERE anomalies.points < EXCLUDED.points
        OR (anomalies.points = EXCLUDED.points AND (anomalies.open OR NOT EXCLUDED.open))`,
    [
      rows.map((a) => a.seriesId),
      rows.map((a) => a.start),
      rows.map((a) => a.end),
      rows.map((a) => float8(a.peakScore)),
      rows.map((a) => float8(a.peakValue)),
      rows.map((a) => (Number.isNaN(a.peakExpected) ? null : float8(a.peakExpected))),
      rows.map((a) => a.direction),
      rows.map((a) => a.points),
      rows.map((a) => a.detector),
      rows.map((a) => a.open),
      rows.map((a) => (a.model === undefined ? null : modelLabel(a.model))),
    ],
  );
}
