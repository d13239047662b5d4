/**
 * The SeriesCatalog port on `log.db`: every series with its id, all of it held in memory too (the
 * embedded server resolves keys on the request path without a query), new ones inserted in one
 * transaction per request.
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
);`;

export class SqliteSeriesCatalog implements SeriesCatalog {
  readonly #db: DatabaseSync;
  readonly #byKey = new Map<string, number>();
  readonly #byId: (SeriesInfo | undefined)[] = [];
  #count = 0;
  readonly #byTenant = new Map<string, number>();
  readonly #insertSeries: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(SCHEMA);
    for (const row of db.prepare('SELECT id, key, created_ms FROM series').iterate()) {
      this.#remember(Number(row.id), String(row.key), Number(row.created_ms));
    }
    this.#insertSeries = db.prepare('INSERT INTO series (key, created_ms) VALUES (?, ?)');
  }

  #remember(id: number, key: string, createdMs: number): void {
    const { metric, tags } = parseSeriesKey(key);
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
      storageTransaction(this.#db, 'log.db', () => {
        for (const key of new Set(fresh)) {
          const r = this.#insertSeries.run(key, nowMs);
          added.push([Number(r.lastInsertRowid), key]);
        }
      });
      for (const [id, key] of added) this.#remember(id, key, nowMs);
      for (let i = 0; i < keys.length; i++) ids[i] = this.#byKey.get(keys[i]!)!;
    }
    return ids;
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
