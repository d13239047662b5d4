/**
 * ApiKeyStore on PostgreSQL. Lookups read the primary, never the replica: a revocation must reach
 * every API replica within the key cache's TTL, and replica lag has no bound. A lookup per key per
 * replica every few seconds (see app/api-keys.ts) is nothing to the primary.
 */
import { isScope, type Scope } from '../../core/api-key.ts';
import { VigilError } from '../../core/errors.ts';
import type { ApiKeyRecord, ApiKeyStore } from '../../ports/api-key-store.ts';
import { int } from './codec.ts';
import type { PgPools, Row } from './pools.ts';

const COLUMNS = 'id, tenant, scopes, name, kdf, hash, created_ms, expires_ms, revoked_ms';

export class PgApiKeyStore implements ApiKeyStore {
  readonly #pools: PgPools;
  readonly #owned: boolean;

  /** With `owned`, `close` closes `pools` (the CLI's store); else the caller does. */
  constructor(pools: PgPools, options: { owned?: boolean } = {}) {
    this.#pools = pools;
    this.#owned = options.owned ?? false;
  }

  async create(k: ApiKeyRecord): Promise<void> {
    const rows = await this.#pools.write('create api key', (query) =>
      query(
        `INSERT INTO api_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [k.id, k.tenant, k.scopes.join(','), k.name, k.kdf, k.hash, k.createdMs, k.expiresMs ?? null],
      ),
    );
    // A repeat after a lost COMMIT reply finds its own row: the same hash means it is ours.
    if (rows.length === 0 && (await this.lookup(k.id))?.hash !== k.hash) {
      throw new VigilError('VIGIL_ERR_STORAGE', `API key id ${k.id} exists already`);
    }
  }

  async lookup(id: string): Promise<ApiKeyRecord | undefined> {
    const rows = await this.#pools.primary(
      'lookup api key',
      `SELECT ${COLUMNS} FROM api_keys WHERE id = $1`,
      [id],
    );
    return rows.length === 0 ? undefined : toRecord(rows[0]!);
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.#pools.primary(
      'list api keys',
      `SELECT ${COLUMNS} FROM api_keys ORDER BY created_ms, id`,
    );
    return rows.map(toRecord);
  }

  async revoke(id: string, nowMs: number): Promise<boolean> {
    const rows = await this.#pools.write('revoke api key', (query) =>
      query('UPDATE api_keys SET revoked_ms = COALESCE(revoked_ms, $2) WHERE id = $1 RETURNING id', [
        id,
        nowMs,
      ]),
    );
    return rows.length > 0;
  }

  async countActive(nowMs: number): Promise<number> {
    const rows = await this.#pools.primary(
      'count api keys',
      'SELECT count(*) AS n FROM api_keys WHERE revoked_ms IS NULL AND (expires_ms IS NULL OR expires_ms > $1)',
      [nowMs],
    );
    return int(rows[0]?.n ?? 0);
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#pools.close();
  }
}

function toRecord(row: Row): ApiKeyRecord {
  return {
    id: row.id as string,
    tenant: row.tenant as string,
    scopes: (row.scopes as string).split(',').filter((s): s is Scope => isScope(s)),
    name: row.name as string,
    kdf: row.kdf as string,
    hash: row.hash as string,
    createdMs: int(row.created_ms),
    ...(row.expires_ms !== null ? { expiresMs: int(row.expires_ms) } : {}),
    ...(row.revoked_ms !== null ? { revokedMs: int(row.revoked_ms) } : {}),
  };
}
