/**
 * The PostgreSQL side of the scaled-out retention sweep: which tenants have series, the delete of
 * a tenant's closed anomalies that ended before its cutoff, and `claim`, which lets one process of
 * the deployment sweep per interval however many run the sweep timer (`vigil_sweeps` holds when
 * each sweep last started; the conditional upsert is atomic, so of several claims within one
 * interval exactly one wins).
 */
import { int } from './codec.ts';
import type { PgPools } from './pools.ts';

export class PgRetention {
  readonly #pools: PgPools;

  /** Does not own `pools`. */
  constructor(pools: PgPools) {
    this.#pools = pools;
  }

  /**
   * True when no sweep named `name` started in the last `intervalMs` before `nowMs`: the caller
   * then sweeps (recorded as started now). A sweep that fails is not retried before the interval.
   */
  async claim(name: string, nowMs: number, intervalMs: number): Promise<boolean> {
    const rows = await this.#pools.write('claim sweep', (query) =>
      query(
        `INSERT INTO vigil_sweeps (name, last_ms) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET last_ms = EXCLUDED.last_ms
         WHERE vigil_sweeps.last_ms <= $3
         RETURNING last_ms`,
        [name, nowMs, nowMs - intervalMs],
      ),
    );
    return rows.length > 0;
  }

  /** Tenants that have series (an index scan of series_by_tenant). */
  async tenants(): Promise<string[]> {
    const rows = await this.#pools.primary('tenants with series', 'SELECT DISTINCT tenant FROM series');
    return rows.map((r) => r.tenant as string);
  }

  /** Deletes the tenant's closed anomalies that ended before `cutoffMs`; returns how many. */
  async deleteClosedAnomalies(tenant: string, cutoffMs: number): Promise<number> {
    const rows = await this.#pools.write('retention of anomalies', (query) =>
      query(
        `WITH gone AS (
           DELETE FROM anomalies a USING series s
           WHERE a.series_id = s.id AND s.tenant = $1 AND NOT a.open AND a.end_ms < $2
           RETURNING 1)
         SELECT count(*) AS n FROM gone`,
        [tenant, cutoffMs],
      ),
    );
    return int(rows[0]!.n);
  }
}
