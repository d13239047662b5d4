/**
 * Deleted series on PostgreSQL: `remove` deletes series with their config, anomalies, feedback
 * labels and checkpointed states and leaves a tombstone per series (`deleted_series`), all in one primary
 * transaction. Ids come from a sequence, so they are never given out twice: the same key ingested
 * again is a new series. Tombstones are kept (one small row per deleted series); their `seq`
 * orders them as they committed (a deletion holds the catalog's registration lock until it
 * commits), so a process that polls `after(lastSeq)` sees every one exactly once.
 *
 * What PostgreSQL cannot do in that transaction (the points in InfluxDB, the detectors' states in
 * memory or in Redis) follows it; `purged_ms` records that the deleting process finished, and
 * `unpurged` lists those a crash interrupted, for the retention sweep to finish (docs/security.md).
 */
import { int } from './codec.ts';
import { deleteFeedbackOf } from './feedback-store.ts';
import type { PgPools, Query } from './pools.ts';

export interface Tombstone {
  seq: number;
  id: number;
  key: string;
}

export class PgSeriesTombstones {
  readonly #pools: PgPools;

  /** Does not own `pools`. */
  constructor(pools: PgPools) {
    this.#pools = pools;
  }

  /**
   * Deletes the series of `ids` that exist (others are skipped), durably, with their config,
   * anomalies, feedback labels and checkpointed states; returns the tombstones written and the anomalies deleted.
   */
  async remove(ids: readonly number[], nowMs: number): Promise<{ removed: Tombstone[]; anomalies: number }> {
    return this.#pools.write('delete series', async (query) => {
      await query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vigil.series:${this.#pools.schema ?? ''}`]);
      const rows = await query(
        `WITH gone AS (DELETE FROM series WHERE id = ANY($1::int[]) RETURNING id, key, tenant)
         INSERT INTO deleted_series (id, key, tenant, deleted_ms)
         SELECT id, key, tenant, $2::bigint FROM gone ORDER BY id
         RETURNING seq, id, key`,
        [ids, nowMs],
      );
      const gone = rows.map((r) => int(r.id));
      if (gone.length === 0) return { removed: [], anomalies: 0 };
      await query('DELETE FROM series_config WHERE series_id = ANY($1::int[])', [gone]);
      const anomalies = await purgeRows(query, gone);
      return {
        removed: rows.map((r) => ({ seq: int(r.seq), id: int(r.id), key: r.key as string })),
        anomalies,
      };
    });
  }

  /**
   * Deletes the anomalies, labels and checkpointed states of deleted series again (idempotent):
   * what a detector wrote between the deletion and its learning of it, and a label another API
   * server stored meanwhile from its cached catalog. Returns the anomalies deleted.
   */
  async purge(ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.#pools.write('purge deleted series', (query) => purgeRows(query, ids));
  }

  /** Tombstones committed after `seq`, in order (read on the primary: never missed for lag). */
  async after(seq: number, limit = 10_000): Promise<Tombstone[]> {
    const rows = await this.#pools.primary(
      'deleted series',
      'SELECT seq, id, key FROM deleted_series WHERE seq > $1 ORDER BY seq LIMIT $2',
      [seq, limit],
    );
    return rows.map((r) => ({ seq: int(r.seq), id: int(r.id), key: r.key as string }));
  }

  /** The last tombstone's seq, 0 when there is none. */
  async lastSeq(): Promise<number> {
    const rows = await this.#pools.primary(
      'last deleted series',
      'SELECT COALESCE(MAX(seq), 0) AS seq FROM deleted_series',
    );
    return int(rows[0]!.seq);
  }

  /** Ids of every deleted series (a detector's engine drops their points still in Kafka). */
  async deletedIds(): Promise<number[]> {
    const rows = await this.#pools.primary('deleted series ids', 'SELECT id FROM deleted_series');
    return rows.map((r) => int(r.id));
  }

  /** Records that everything outside PostgreSQL of these deleted series is deleted. */
  async markPurged(ids: readonly number[], nowMs: number): Promise<void> {
    if (ids.length === 0) return;
    await this.#pools.write('mark deleted series purged', (query) =>
      query('UPDATE deleted_series SET purged_ms = $2 WHERE id = ANY($1::int[]) AND purged_ms IS NULL', [
        ids,
        nowMs,
      ]),
    );
  }

  /** Deleted series not marked purged that were deleted before `beforeMs` (a crash interrupted them). */
  async unpurged(beforeMs: number, limit = 10_000): Promise<number[]> {
    const rows = await this.#pools.primary(
      'unpurged deleted series',
      'SELECT id FROM deleted_series WHERE purged_ms IS NULL AND deleted_ms < $1 ORDER BY deleted_ms LIMIT $2',
      [beforeMs, limit],
    );
    return rows.map((r) => int(r.id));
  }
}

async function purgeRows(query: Query, ids: readonly number[]): Promise<number> {
  await query('DELETE FROM checkpoint_states WHERE series_id = ANY($1::int[])', [ids]);
  await deleteFeedbackOf(query, ids);
  const rows = await query(
    'WITH gone AS (DELETE FROM anomalies WHERE series_id = ANY($1::int[]) RETURNING 1) SELECT count(*) AS n FROM gone',
    [ids],
  );
  return int(rows[0]!.n);
}
