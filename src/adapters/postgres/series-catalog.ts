/**
 * SeriesCatalog on PostgreSQL, shared by every process of a deployment. `resolve` registers unknown
 * keys on the primary in one transaction (all or nothing); processes resolving the same new key at
 * once get the same id, because the insert is `ON CONFLICT (key) DO NOTHING` followed by a read of
 * the committed rows. Registrations take one transaction-level advisory lock, so they run one at
 * a time: new ids follow the order keys first appear in a request (as in the embedded catalog),
 * and two resolvers cannot deadlock on each other's uncommitted keys. Registering is rare (only
 * unknown keys reach the database), so the queue is short.
 *
 * A series never changes once registered, so each process caches every series it has seen, by key
 * and by id, without bound (as the embedded catalog does); only a deletion (series-tombstones.ts)
 * removes one, and each process `forget`s it when it polls the tombstones. Cache misses read the
 * replica; a key or id the replica does not have yet (lag) is looked up on the primary.
 */
import { isVigilError, VigilError } from '../../core/errors.ts';
import { parseSeriesKey } from '../../core/series.ts';
import type { SeriesCatalog, SeriesInfo } from '../../ports/series-catalog.ts';
import { int } from './codec.ts';
import type { PgPools, Row } from './pools.ts';

// metric and tags are stored for SQL users; the adapter parses them from the key, as the embedded
// catalog does, so tags come back in key order.
const COLUMNS = 'id, key, created_ms';

export class PgSeriesCatalog implements SeriesCatalog {
  readonly #pools: PgPools;
  readonly #byKey = new Map<string, number>();
  readonly #byId = new Map<number, SeriesInfo>();
  /** Ids forgotten as deleted: never cached again (a lagging replica may still return the row). */
  readonly #gone = new Set<number>();

  /** Does not own `pools`. */
  constructor(pools: PgPools) {
    this.#pools = pools;
  }

  /** Id of a key this process has already resolved or looked up (series never change), else undefined. */
  known(key: string): number | undefined {
    return this.#byKey.get(key);
  }

  /** Drops deleted series from this process's cache: their keys resolve to new ids from now on. */
  forget(ids: Iterable<number>): void {
    for (const id of ids) {
      this.#gone.add(id);
      const info = this.#byId.get(id);
      if (info === undefined) continue;
      this.#byId.delete(id);
      if (this.#byKey.get(info.key) === id) this.#byKey.delete(info.key);
    }
  }

  async resolve(keys: readonly string[], nowMs: number): Promise<Int32Array> {
    const ids = new Int32Array(keys.length);
    const fresh = new Set<string>();
    for (let i = 0; i < keys.length; i++) {
      const id = this.#byKey.get(keys[i]!);
      if (id === undefined) fresh.add(keys[i]!);
      else ids[i] = id;
    }
    if (fresh.size > 0) {
      const list = [...fresh];
      const parsed = list.map(parseSeriesKey);
      const rows = await this.#pools.write('register series', async (query) => {
        await query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `vigil.series:${this.#pools.schema ?? ''}`,
        ]);
        await query(
          `INSERT INTO series (key, metric, tags, created_ms)
           SELECT k, m, t, $4::bigint FROM unnest($1::text[], $2::text[], $3::jsonb[]) WITH ORDINALITY AS u(k, m, t, n)
           ORDER BY n
           ON CONFLICT (key) DO NOTHING`,
          [list, parsed.map((p) => p.metric), parsed.map((p) => JSON.stringify(p.tags)), nowMs],
        );
        return query(`SELECT ${COLUMNS} FROM series WHERE key = ANY($1::text[])`, [list]);
      });
      for (const row of rows) this.#remember(row);
      for (let i = 0; i < keys.length; i++) {
        if (!fresh.has(keys[i]!)) continue;
        const id = this.#byKey.get(keys[i]!);
        if (id === undefined) {
          throw new VigilError(
            'VIGIL_ERR_STORAGE',
            `postgres primary, register series: ${keys[i]} not found after insert`,
          );
        }
        ids[i] = id;
      }
    }
    return ids;
  }

  async idOf(key: string): Promise<number | undefined> {
    const cached = this.#byKey.get(key);
    if (cached !== undefined) return cached;
    const row = await this.#lookup('series by key', `SELECT ${COLUMNS} FROM series WHERE key = $1`, [key]);
    return row === undefined ? undefined : this.#remember(row).id;
  }

  async get(id: number): Promise<SeriesInfo | undefined> {
    const cached = this.#byId.get(id);
    if (cached !== undefined) return cached;
    if (!Number.isInteger(id) || id < 1 || id > 0x7fffffff) return undefined;
    const row = await this.#lookup('series by id', `SELECT ${COLUMNS} FROM series WHERE id = $1`, [id]);
    return row === undefined ? undefined : this.#remember(row);
  }

  async count(): Promise<number> {
    const rows = await this.#pools.read('count series', 'SELECT count(*) AS n FROM series');
    return int(rows[0]!.n);
  }

  async countOf(tenant: string): Promise<number> {
    // `tenant` is a generated column with an index (migration 6), so this counts one index range.
    const rows = await this.#pools.read(
      'count series of a tenant',
      'SELECT count(*) AS n FROM series WHERE tenant = $1',
      [tenant],
    );
    return int(rows[0]!.n);
  }

  async all(): Promise<SeriesInfo[]> {
    const rows = await this.#pools.read('list series', `SELECT ${COLUMNS} FROM series ORDER BY id`);
    return rows.map((row) => this.#remember(row));
  }

  /**
   * One row from the replica, else from the primary (it may be too new for the replica). With
   * the primary unreachable the replica's "not found" stands, as for any read that tolerates lag.
   */
  async #lookup(what: string, text: string, values: unknown[]): Promise<Row | undefined> {
    const rows = await this.#pools.read(what, text, values);
    if (rows.length > 0) return rows[0];
    try {
      return (await this.#pools.primary(what, text, values))[0];
    } catch (err) {
      if (isVigilError(err) && err.code === 'VIGIL_ERR_UNAVAILABLE') return undefined;
      throw err;
    }
  }

  #remember(row: Row): SeriesInfo {
    const id = int(row.id);
    const known = this.#byId.get(id);
    if (known !== undefined) return known;
    const key = row.key as string;
    const { metric, tags } = parseSeriesKey(key);
    const info: SeriesInfo = { id, key, metric, tags, createdMs: int(row.created_ms) };
    if (this.#gone.has(id)) return info;
    this.#byId.set(id, info);
    this.#byKey.set(info.key, id);
    return info;
  }
}
