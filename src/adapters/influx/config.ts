/**
 * How Vigil reaches InfluxDB. The adapter speaks only the v1-compatible HTTP API (`/ping`, `/write`,
 * `/query`), which InfluxDB 1.x, 2.x and 3.x all serve; the server version matters only when the
 * database has to be created (see InfluxClient.ensureDatabase).
 */
import { VigilError } from '../../core/errors.ts';

export interface InfluxConfig {
  /** Base URL, e.g. `http://127.0.0.1:8086` (a path prefix is kept: `https://lb/influx`). */
  url: string;
  /** Database (1.x), bucket mapped by DBRP (2.x) or database (3.x) that points and scores go to. */
  database: string;
  /** Retention policy to write to and read from; the database's default when absent (1.x, 2.x DBRP). */
  retentionPolicy?: string;
  /** API token for 2.x and 3.x (sent as `Authorization: Token …`; 1.8+ also accepts `user:password`). */
  token?: string;
  /** 1.x user and password (HTTP basic auth), when the server has `auth-enabled`. */
  username?: string;
  password?: string;
  /** 2.x organization name, needed only to create the bucket when it does not exist yet. */
  org?: string;
  /** Bound on one HTTP request, connect to last byte, before it counts as lost. Default 30 000. */
  timeoutMs?: number;
  /** Lines per `/write` request; a big write is split into requests of this size. Default 5 000. */
  linesPerRequest?: number;
  /** Rows per `/query` page when reading a range (below any server `max-row-limit`). Default 10 000. */
  pageSize?: number;
}

export const INFLUX_DEFAULTS = { timeoutMs: 30_000, linesPerRequest: 5_000, pageSize: 10_000 } as const;

/** The base URL without a trailing slash; fails with VIGIL_ERR_CONFIG when it is not http(s). */
export function parseBaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new VigilError('VIGIL_ERR_CONFIG', `influx.url: must be an http(s) URL, got "${url}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new VigilError('VIGIL_ERR_CONFIG', `influx.url: must be an http(s) URL, got "${url}"`);
  }
  if (u.username !== '' || u.password !== '') {
    throw new VigilError('VIGIL_ERR_CONFIG', 'influx.url: put credentials in influx.token/username/password');
  }
  return u.href.replace(/\/+$/, '');
}

export function checkDatabase(database: string): string {
  if (database.length === 0 || /[\n\r]/.test(database)) {
    throw new VigilError('VIGIL_ERR_CONFIG', 'influx.database: must be a non-empty single-line name');
  }
  return database;
}
