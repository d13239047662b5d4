/**
 * How Vigil reaches InfluxDB. The adapter speaks only the v1-compatible HTTP API (`/ping`, `/write`,
 * `/query`), which InfluxDB 1.x, 2.x and 3.x all serve; the server version matters only when the
 * database has to be created (see InfluxClient.ensureDatabase).
 */
import { type Config, withDefaults } from '../../config/schema.ts';
import { VigilError } from '../../core/errors.ts';

type InfluxSection = Config['influx'];

/**
 * The `influx` section of the config schema (src/config/schema.ts declares every key, its meaning
 * and its default); a key left out takes the schema's default, except `url` (base URL; a path
 * prefix is kept: `https://lb/influx`) and `database`, which an adapter user always names.
 */
export type InfluxConfig = Partial<InfluxSection> & Pick<InfluxSection, 'url' | 'database'>;

/** The config with the schema's defaults filled in. */
export const resolveInfluxConfig = (config: InfluxConfig): InfluxSection => withDefaults('influx', config);

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
