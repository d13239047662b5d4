/**
 * FeedbackStore on PostgreSQL (migration step 10): one row per labelled anomaly, tenant in every
 * row and in every lookup by id; `feedback_series` holds each labelled series with the change
 * number of its latest change, from the sequence `feedback_change_seq`.
 *
 * Change order: every write that gives out a change number first takes one transaction-level
 * advisory lock and holds it to its commit, so numbers become visible in the order they were
 * given — a poller that remembers the last number it saw (`changedSince`) misses none. Labels
 * are written by people, so serialising these writes costs nothing that matters. The API's reads
 * may go to the replica (PgPools keeps them consistent with this process's writes); the poller's
 * reads go to the primary. Every write is safe to repeat after a lost COMMIT reply (pools.ts).
 */
import type { FeedbackLabel } from '../../core/feedback/label.ts';
import type {
  FeedbackChange,
  FeedbackQuery,
  FeedbackRecord,
  FeedbackStore,
} from '../../ports/feedback-store.ts';
import { float8, floatOrNaN, int } from './codec.ts';
import type { PgPools, Query, Row } from './pools.ts';

const COLUMNS =
  'id, tenant, series_id, anomaly_start, label, note, actor, created_ms, peak_value, peak_expected, peak_score';

export class PgFeedbackStore implements FeedbackStore {
  readonly #pools: PgPools;

  /** The caller owns `pools`; `close` does nothing. */
  constructor(pools: PgPools) {
    this.#pools = pools;
  }

  async put(records: readonly FeedbackRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.#pools.write('put feedback', async (query) => {
      await this.#lock(query);
      for (const r of records) {
        await query(
          `INSERT INTO feedback (${COLUMNS})
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::float8, $10::float8, $11::float8)
           ON CONFLICT (series_id, anomaly_start) DO UPDATE
           SET id = EXCLUDED.id, tenant = EXCLUDED.tenant, label = EXCLUDED.label, note = EXCLUDED.note,
               actor = EXCLUDED.actor, created_ms = EXCLUDED.created_ms, peak_value = EXCLUDED.peak_value,
               peak_expected = EXCLUDED.peak_expected, peak_score = EXCLUDED.peak_score`,
          [
            r.id,
            r.tenant,
            r.seriesId,
            r.anomalyStart,
            r.label,
            r.note,
            r.actor,
            r.createdMs,
            float8(r.peakValue),
            Number.isNaN(r.peakExpected) ? null : float8(r.peakExpected),
            float8(r.peakScore),
          ],
        );
      }
      const bySeries = new Map(records.map((r) => [r.seriesId, r.tenant]));
      for (const [sid, tenant] of [...bySeries].sort((a, b) => a[0] - b[0]))
        await markChanged(query, sid, tenant);
    });
  }

  async get(tenant: string, id: string): Promise<FeedbackRecord | undefined> {
    const rows = await this.#pools.read(
      'get feedback',
      `SELECT ${COLUMNS} FROM feedback WHERE tenant = $1 AND id = $2`,
      [tenant, id],
    );
    return rows.length === 0 ? undefined : toRecord(rows[0]!);
  }

  async remove(tenant: string, id: string): Promise<boolean> {
    return this.#pools.write('remove feedback', async (query) => {
      await this.#lock(query);
      const rows = await query('DELETE FROM feedback WHERE tenant = $1 AND id = $2 RETURNING series_id', [
        tenant,
        id,
      ]);
      if (rows.length === 0) return false;
      await markChanged(query, int(rows[0]!.series_id), tenant);
      return true;
    });
  }

  async list(q: FeedbackQuery): Promise<FeedbackRecord[]> {
    if (q.seriesIds !== undefined && q.seriesIds.length === 0) return [];
    const rows =
      q.seriesIds === undefined
        ? await this.#pools.read(
            'list feedback',
            `SELECT ${COLUMNS} FROM feedback WHERE tenant = $1 ORDER BY created_ms DESC, id DESC LIMIT $2`,
            [q.tenant, q.limit],
          )
        : await this.#pools.read(
            'list feedback',
            `SELECT ${COLUMNS} FROM feedback WHERE tenant = $1 AND series_id = ANY($2::int[])
             ORDER BY created_ms DESC, id DESC LIMIT $3`,
            [q.tenant, q.seriesIds, q.limit],
          );
    return rows.map(toRecord);
  }

  async forSeries(seriesId: number, limit: number): Promise<FeedbackRecord[]> {
    const rows = await this.#pools.primary(
      'feedback of a series',
      `SELECT ${COLUMNS} FROM feedback WHERE series_id = $1 ORDER BY created_ms DESC, id DESC LIMIT $2`,
      [seriesId, limit],
    );
    return rows.map(toRecord).reverse();
  }

  async labelledSeries(): Promise<number[]> {
    const rows = await this.#pools.primary(
      'labelled series',
      'SELECT series_id FROM feedback_series ORDER BY series_id',
    );
    return rows.map((r) => int(r.series_id));
  }

  async changedSince(seq: number, limit: number): Promise<FeedbackChange[]> {
    const rows = await this.#pools.primary(
      'feedback changes',
      'SELECT series_id, seq FROM feedback_series WHERE seq > $1 ORDER BY seq LIMIT $2',
      [seq, limit],
    );
    return rows.map((r) => ({ seriesId: int(r.series_id), seq: int(r.seq) }));
  }

  async lastChange(): Promise<number> {
    const rows = await this.#pools.primary(
      'last feedback change',
      'SELECT COALESCE(MAX(seq), 0) AS seq FROM feedback_series',
    );
    return int(rows[0]!.seq);
  }

  async deleteSeries(seriesIds: readonly number[]): Promise<number> {
    if (seriesIds.length === 0) return 0;
    return this.#pools.write('delete feedback of series', (query) => deleteFeedbackOf(query, seriesIds));
  }

  async close(): Promise<void> {}

  async #lock(query: Query): Promise<void> {
    await query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vigil.feedback:${this.#pools.schema ?? ''}`]);
  }
}

/**
 * Deletes the labels of deleted series, in the caller's transaction (the series deletion's own,
 * series-tombstones.ts); returns how many went. Idempotent.
 */
export async function deleteFeedbackOf(query: Query, seriesIds: readonly number[]): Promise<number> {
  const rows = await query(
    'WITH gone AS (DELETE FROM feedback WHERE series_id = ANY($1::int[]) RETURNING 1) SELECT count(*) AS n FROM gone',
    [seriesIds],
  );
  await query('DELETE FROM feedback_series WHERE series_id = ANY($1::int[])', [seriesIds]);
  return int(rows[0]!.n);
}

async function markChanged(query: Query, seriesId: number, tenant: string): Promise<void> {
  await query(
    `INSERT INTO feedback_series (series_id, tenant, seq) VALUES ($1, $2, nextval('feedback_change_seq'))
     ON CONFLICT (series_id) DO UPDATE SET seq = EXCLUDED.seq`,
    [seriesId, tenant],
  );
}

function toRecord(row: Row): FeedbackRecord {
  return {
    id: String(row.id),
    tenant: String(row.tenant),
    seriesId: int(row.series_id),
    anomalyStart: int(row.anomaly_start),
    label: String(row.label) as FeedbackLabel,
    note: String(row.note),
    actor: String(row.actor),
    createdMs: int(row.created_ms),
    peakValue: row.peak_value as number,
    peakExpected: floatOrNaN(row.peak_expected),
    peakScore: row.peak_score as number,
  };
}
