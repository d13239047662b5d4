/**
 * How Vigil reaches PostgreSQL: a primary that takes every write and, optionally, a streaming
 * replica that serves reads which tolerate replication lag (see PgPools).
 */
import { type Config, withDefaults } from '../../config/schema.ts';
import { VigilError } from '../../core/errors.ts';

type PostgresSection = Config['postgres'];

/**
 * The `postgres` section of the config schema (src/config/schema.ts declares every key, its
 * meaning and its default); a key left out takes the schema's default, except `url` (the
 * primary, `postgres://user@host:port/db`), which an adapter user always names. `schema` lets
 * several deployments or test runs share a database.
 */
export type PostgresConfig = Partial<PostgresSection> & Pick<PostgresSection, 'url'>;

/** The config with the schema's defaults filled in. */
export const resolvePostgresConfig = (config: PostgresConfig): PostgresSection =>
  withDefaults('postgres', config);

/** The URL itself, after checking it is a postgres(ql):// URL; fails with VIGIL_ERR_CONFIG. */
export function checkUrl(field: string, url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new VigilError('VIGIL_ERR_CONFIG', `${field}: must be a postgres:// URL, got "${url}"`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new VigilError('VIGIL_ERR_CONFIG', `${field}: must be a postgres:// URL, got "${u.protocol}"`);
  }
  return url;
}

// Unquoted identifiers only: the name goes into `search_path` and DDL without quoting.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      `postgres.schema: must be 1..63 of a-z, 0-9, _ (not starting with a digit), got "${schema}"`,
    );
  }
  return schema;
}

export function checkPoolSize(n: number): number {
  if (!Number.isInteger(n) || n < 1) {
    throw new VigilError('VIGIL_ERR_CONFIG', `postgres.poolSize: must be a positive integer, got ${n}`);
  }
  return n;
}
