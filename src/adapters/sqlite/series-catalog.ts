/**
 * The SeriesCatalog port on `log.db`: every series with its id, all of it held in memory too (the
 * embedded server resolves keys on the request path without a query), new ones inserted in one
 * transaction per request.
 *
 * Deleting a series leaves a tombstone (`deleted_series`) in the transaction that removes it, and
 * ids are never given out twice: a new series takes the id after the highest of both tables (an
 * INTEGER PRIMARY KEY alone would reuse the highest id once its row is gone). The log still holds
 * entries naming a deleted id until a checkpoint passes them; the tombstones tell the engine to
 * drop those points, including on a replay after a crash, so the series does not come back and
 * the same key ingested again is a new series with a fresh state. Tombstones are kept (one small
 * row per deleted series).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { parseSeriesKey, tenantOfTags } from '../../core/series.ts';
import type { SeriesCatalog, SeriesInfo } from '../../ports/series-catalog.ts';
import { storageTransaction } from './database.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deleted_series (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  deleted_ms INTEGER NOT NULL
);`;

export class SqliteSeriesCatalog implements SeriesCatalog {
  readonly #db: DatabaseSync;
  readonly #byKey = new Map<string, number>();
  readonly #byId: (SeriesInfo | undefined)[] = [];
  #count = 0;
  readonly #byTenant = new Map<string, number>();
  /**
   * One string per metric name, shared by its series' SeriesInfo: each parsed its own (a copy, or
   * a slice of its key at 32 bytes) where most series share a few names. Never shrinks (names of
   * deleted series stay: a few bytes each).
   */
  readonly #metrics = new Map<string, string>();
  /** The highest id given out, deleted ones included. */
  #lastId: number;
  readonly #insertSeries: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(SCHEMA);
    for (const row of db.prepare('SELECT id, key, created_ms FROM series').iterate()) {
      this.#remember(Number(row.id), String(row.key), Number(row.created_ms));
    }
    this.#insertSeries = db.prepare('INSERT INTO series (id, key, created_ms) VALUES (?, ?, ?)');
    this.#lastId = Number(
      db
        .prepare(
          'SELECT MAX(m) AS m FROM (SELECT MAX(id) AS m FROM series UNION ALL SELECT MAX(id) FROM deleted_series)',
        )
        .get()!.m ?? 0,
    );
  }

  #remember(id: number, key: string, createdMs: number): void {
    const parsed = parseSeriesKey(key);
    const tags = parsed.tags;
    let metric = this.#metrics.get(parsed.metric);
    if (metric === undefined) {
      metric = parsed.metric;
      this.#metrics.set(metric, metric);
    }
    this.#byKey.set(key, id);
    this.#byId[id] = { id, key, metric, tags, createdMs };
    this.#count++;
    const tenant = tenantOfTags(tags);
    this.#byTenant.set(tenant, (this.#byTenant.get(tenant) ?? 0) + 1);
  }

  async resolve(keys: readonly string[], nowMs: number): Promise<Int32Array> {
    return this.resolveSync(keys, nowMs);
  }

  /** `resolve` without the promise: the whole catalog is in memory, so the embedded app calls it inline. */
  resolveSync(keys: readonly string[], nowMs: number): Int32Array {
    const ids = new Int32Array(keys.length);
    let fresh: string[] | undefined;
    for (let i = 0; i < keys.length; i++) {
      const id = this.#byKey.get(keys[i]!);
      if (id !== undefined) ids[i] = id;
      else {
        fresh ??= [];
        fresh.push(keys[i]!);
      }
    }
    if (fresh !== undefined) {
      const added: [number, string][] = [];
      let last = this.#lastId;
      storageTransaction(this.#db, 'log.db', () => {
        for (const key of new Set(fresh)) {
          this.#insertSeries.run(++last, key, nowMs);
          added.push([last, key]);
        }
      });
      this.#lastId = last;
      for (const [id, key] of added) this.#remember(id, key, nowMs);
      for (let i = 0; i < keys.length; i++) ids[i] = this.#byKey.get(keys[i]!)!;
    }
    return ids;
  }

  /**
   * Deletes series from the catalog, durably, leaving their tombstones; `also` runs in the same
   * transaction (the configs of the same file). Unknown ids are skipped; returns those deleted.
   */
  remove(ids: readonly number[], nowMs: number, also?: (ids: readonly number[]) => void): number[] {
    const gone = ids.filter((id) => this.#byId[id] !== undefined);
    if (gone.length === 0) return gone;
    const tombstone = this.#db.prepare(
      'INSERT OR REPLACE INTO deleted_series (id, key, deleted_ms) VALUES (?, ?, ?)',
    );
    const drop = this.#db.prepare('DELETE FROM series WHERE id = ?');
    storageTransaction(this.#db, 'log.db', () => {
      for (const id of gone) {
        tombstone.run(id, this.#byId[id]!.key, nowMs);
        drop.run(id);
      }
      also?.(gone);
    });
    for (const id of gone) {
      const s = this.#byId[id]!;
      this.#byKey.delete(s.key);
      this.#byId[id] = undefined;
      this.#count--;
      const tenant = tenantOfTags(s.tags);
      this.#byTenant.set(tenant, this.#byTenant.get(tenant)! - 1);
    }
    return gone;
  }

  /** Ids of every deleted series (the engine drops their points still in the log). */
  deletedIds(): number[] {
    return this.#db
      .prepare('SELECT id FROM deleted_series')
      .all()
      .map((r) => Number(r.id));
  }

  async idOf(key: string): Promise<number | undefined> {
    return this.#byKey.get(key);
  }

  async get(id: number): Promise<SeriesInfo | undefined> {
    return this.#byId[id];
  }

  async count(): Promise<number> {
    return this.#count;
  }

  async countOf(tenant: string): Promise<number> {
    return this.#byTenant.get(tenant) ?? 0;
  }

  async all(): Promise<SeriesInfo[]> {
    return this.allSync();
  }

  // Synchronous reads of the in-memory catalog for the embedded app's hot paths.

  known(key: string): number | undefined {
    return this.#byKey.get(key);
  }

  info(id: number): SeriesInfo | undefined {
    return this.#byId[id];
  }

  get size(): number {
    return this.#count;
  }

  allSync(): SeriesInfo[] {
    const out: SeriesInfo[] = [];
    for (const s of this.#byId) if (s !== undefined) out.push(s);
    return out;
  }
}
