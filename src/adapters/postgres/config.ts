/**
 * How Vigil reaches PostgreSQL: a primary that takes every write and, optionally, a streaming
 * replica that serves reads which tolerate replication lag (see PgPools).
 */
import { VigilError } from '../../core/errors.ts';

export interface PostgresConfig {
  /** Primary, as a libpq URL: `postgres://user@host:port/db`. */
  url: string;
  /** Hot-standby replica of the primary; reads go there when present. */
  replicaUrl?: string;
  /** Connections per pool (the primary's and the replica's each). Default 10. */
  poolSize?: number;
  /**
   * Schema the tables live in (set as `search_path`, created by the migrator). Default: the
   * role's default search path (`public`). Several deployments or test runs can share a database
   * this way. Lower-case letters, digits and `_` only.
   */
  schema?: string;
  /** Bound on opening a connection (or waiting for a free one in the pool). Default 5 000. */
  connectTimeoutMs?: number;
  /** Server-side bound on one statement (`statement_timeout`). Default 30 000. */
  statementTimeoutMs?: number;
  /** After a replica connection fails, reads go to the primary for this long. Default 5 000. */
  replicaRetryMs?: number;
}

export const POSTGRES_DEFAULTS = {
  poolSize: 10,
  connectTimeoutMs: 5_000,
  statementTimeoutMs: 30_000,
  replicaRetryMs: 5_000,
} as const;

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
