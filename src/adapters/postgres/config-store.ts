/**
 * ConfigStore on PostgreSQL: per-series detector configuration. `setConfig` is durable on the
 * primary when it resolves; reads tolerate lag (replica, see PgPools), which also keeps them
 * answering while the primary is down. This process always reads its own writes.
 */
import type { Resample } from '../../core/resample.ts';
import { pipelineLabel, pipelineOfLegacy } from '../../core/series-config.ts';
import type { ConfigStore, SeriesConfig } from '../../ports/meta-store.ts';
import { float8, int } from './codec.ts';
import type { PgPools, Row } from './pools.ts';

/** A row without a pipeline was written before pipelines: its detector, params and threshold are translated. */
const toConfig = (row: Row): SeriesConfig => ({
  pipeline:
    row.pipeline !== null && row.pipeline !== undefined
      ? (row.pipeline as SeriesConfig['pipeline'])
      : pipelineOfLegacy({
          detector: row.detector as string,
          params: row.params as Record<string, unknown>,
          threshold: row.threshold as number,
        }),
  ...(row.resample !== null ? { resample: row.resample as Resample } : {}),
});

export class PgConfigStore implements ConfigStore {
  readonly #pools: PgPools;

  /** Does not own `pools`. */
  constructor(pools: PgPools) {
    this.#pools = pools;
  }

  async getConfig(seriesId: number): Promise<SeriesConfig | undefined> {
    const rows = await this.#pools.read(
      'get config',
      'SELECT detector, params, threshold, resample, pipeline FROM series_config WHERE series_id = $1',
      [seriesId],
    );
    return rows.length === 0 ? undefined : toConfig(rows[0]!);
  }

  async setConfig(seriesId: number, config: SeriesConfig): Promise<void> {
    await this.#pools.write('set config', (query) =>
      query(
        `INSERT INTO series_config (series_id, detector, params, threshold, resample, pipeline)
         VALUES ($1, $2, $3::jsonb, $4::float8, $5::jsonb, $6::jsonb)
         ON CONFLICT (series_id) DO UPDATE
         SET detector = EXCLUDED.detector, params = EXCLUDED.params, threshold = EXCLUDED.threshold,
             resample = EXCLUDED.resample, pipeline = EXCLUDED.pipeline`,
        [
          seriesId,
          // The legacy columns keep a summary, so older readers of the table still see a config.
          pipelineLabel(config.pipeline),
          JSON.stringify(config.pipeline.detector.params ?? {}),
          float8(config.pipeline.threshold ?? 0),
          config.resample === undefined ? null : JSON.stringify(config.resample),
          JSON.stringify(config.pipeline),
        ],
      ),
    );
  }

  async allConfigs(): Promise<Map<number, SeriesConfig>> {
    const rows = await this.#pools.read(
      'list configs',
      'SELECT series_id, detector, params, threshold, resample, pipeline FROM series_config ORDER BY series_id',
    );
    return new Map(rows.map((row) => [int(row.series_id), toConfig(row)]));
  }
}
