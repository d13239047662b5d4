/** The AnomalyStore port on `store.db`: the anomalies checkpoints wrote (./store-db.ts). Reads only. */
import type { DatabaseSync } from 'node:sqlite';
import type { Anomaly, AnomalyQuery } from '../../core/anomaly.ts';
import { parseModelLabel } from '../../core/models/serving.ts';
import type { AnomalyStore } from '../../ports/meta-store.ts';

export class SqliteAnomalyStore implements AnomalyStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  async anomalies(q: AnomalyQuery): Promise<Anomaly[]> {
    const where: string[] = [];
    const args: (number | string)[] = [];
    if (q.seriesIds !== undefined) {
      if (q.seriesIds.length === 0) return [];
      where.push(`series_id IN (${q.seriesIds.map(() => '?').join(',')})`);
      args.push(...q.seriesIds);
    }
    if (q.from !== undefined) {
      where.push('end_ts >= ?');
      args.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('start_ts < ?');
      args.push(q.to);
    }
    if (q.minScore !== undefined) {
      where.push('peak_score >= ?');
      args.push(q.minScore);
    }
    if (q.openOnly === true) where.push('open = 1');
    const sql = `SELECT * FROM anomalies ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY start_ts DESC, series_id LIMIT ?`;
    args.push(q.limit);
    return this.#db
      .prepare(sql)
      .all(...args)
      .map((r) => {
        const a: Anomaly = {
          seriesId: Number(r.series_id),
          start: Number(r.start_ts),
          end: Number(r.end_ts),
          peakScore: Number(r.peak_score),
          peakValue: Number(r.peak_value),
          peakExpected: r.peak_expected === null ? Number.NaN : Number(r.peak_expected),
          direction: String(r.direction) as Anomaly['direction'],
          points: Number(r.points),
          detector: String(r.detector),
          open: Number(r.open) === 1,
        };
        const model =
          r.model === null || r.model === undefined ? undefined : parseModelLabel(String(r.model));
        if (model !== undefined) a.model = model;
        return a;
      });
  }
}
