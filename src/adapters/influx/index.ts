/**
 * Builds the InfluxDB adapters from their config: `connectInflux` for a client whose database
 * exists, `openInfluxPointStore` for the PointSink + PointStore on it.
 */
import { InfluxClient } from './client.ts';
import type { InfluxConfig } from './config.ts';
import { InfluxPointStore, type SeriesLookup } from './point-store.ts';

export { InfluxClient, type InfluxVersion, type QuerySeries, type StatementResult } from './client.ts';
export { type InfluxConfig, resolveInfluxConfig } from './config.ts';
export {
  FALLBACK_MEASUREMENT,
  formatLine,
  type InfluxLayout,
  InfluxPointStore,
  SERIES_ID_TAG,
  type SeriesLookup,
} from './point-store.ts';

/**
 * A client after the server answered and the database is ready for writes (created if the
 * server's version allows, see InfluxClient.ensureDatabase). Fails with VIGIL_ERR_CONFIG on a bad
 * config or a database it may not create, VIGIL_ERR_UNAVAILABLE when InfluxDB does not answer.
 */
export async function connectInflux(config: InfluxConfig): Promise<InfluxClient> {
  const client = new InfluxClient(config);
  await client.ensureDatabase();
  return client;
}

/** Scored points in `config.database`; `series` resolves ids to metric and tags (cached). */
export async function openInfluxPointStore(
  config: InfluxConfig,
  series: SeriesLookup,
): Promise<InfluxPointStore> {
  return new InfluxPointStore({ client: await connectInflux(config), series });
}
