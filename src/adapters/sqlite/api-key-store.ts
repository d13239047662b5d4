/**
 * ApiKeyStore on SQLite, in its own file (`keys.db` under the data dir), so `vigil keys` can
 * create and revoke keys while `vigil serve` runs (another connection, WAL) without touching the
 * ingest log's writer. Each lookup reads the table: a revocation by any connection is seen by the
 * next one. Schema changes follow the embedded store's pattern: `CREATE … IF NOT EXISTS`, and an
 * `ALTER TABLE` guarded by `PRAGMA table_info` for a column added later.
 */
import type { DatabaseSync, SQLOutputValue, StatementSync } from 'node:sqlite';
import { isScope, type Scope } from '../../core/api-key.ts';
import { VigilError } from '../../core/errors.ts';
import type { ApiKeyRecord, ApiKeyStore } from '../../ports/api-key-store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  scopes TEXT NOT NULL, -- comma-separated
  name TEXT NOT NULL,
  kdf TEXT NOT NULL,
  hash TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER,
  revoked_ms INTEGER
);
`;

const COLUMNS = 'id, tenant, scopes, name, kdf, hash, created_ms, expires_ms, revoked_ms';

export class SqliteApiKeyStore implements ApiKeyStore {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #lookup: StatementSync;

  /** Owns `db`: `close` closes it. */
  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(SCHEMA);
    this.#insert = db.prepare(`INSERT INTO api_keys (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`);
    this.#lookup = db.prepare(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`);
  }

  async create(k: ApiKeyRecord): Promise<void> {
    try {
      this.#insert.run(
        k.id,
        k.tenant,
        k.scopes.join(','),
        k.name,
        k.kdf,
        k.hash,
        k.createdMs,
        k.expiresMs ?? null,
      );
    } catch (err) {
      throw new VigilError('VIGIL_ERR_STORAGE', `cannot store API key ${k.id}`, { cause: err });
    }
  }

  async lookup(id: string): Promise<ApiKeyRecord | undefined> {
    const row = this.#lookup.get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return this.#db.prepare(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_ms, id`).all().map(toRecord);
  }

  async revoke(id: string, nowMs: number): Promise<boolean> {
    this.#db.prepare('UPDATE api_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL').run(nowMs, id);
    return this.#lookup.get(id) !== undefined;
  }

  async countActive(nowMs: number): Promise<number> {
    const row = this.#db
      .prepare(
        'SELECT count(*) AS n FROM api_keys WHERE revoked_ms IS NULL AND (expires_ms IS NULL OR expires_ms > ?)',
      )
      .get(nowMs);
    return Number(row?.n ?? 0);
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}

function toRecord(row: Record<string, SQLOutputValue>): ApiKeyRecord {
  return {
    id: String(row.id),
    tenant: String(row.tenant),
    scopes: String(row.scopes)
      .split(',')
      .filter((s): s is Scope => isScope(s)),
    name: String(row.name),
    kdf: String(row.kdf),
    hash: String(row.hash),
    createdMs: Number(row.created_ms),
    ...(row.expires_ms !== null ? { expiresMs: Number(row.expires_ms) } : {}),
    ...(row.revoked_ms !== null ? { revokedMs: Number(row.revoked_ms) } : {}),
  };
}
