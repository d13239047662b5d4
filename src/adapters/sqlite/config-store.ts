/** The ConfigStore port on `log.db`: per-series detector configs, durable when a write returns. */
import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import { pipelineLabel, pipelineOfLegacy } from '../../core/series-config.ts';
import type { ConfigStore, SeriesConfig } from '../../ports/meta-store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS series_config (
  series_id INTEGER PRIMARY KEY,
  detector TEXT NOT NULL,
  params TEXT NOT NULL,
  threshold REAL NOT NULL,
  resample TEXT, -- JSON of SeriesConfig.resample; NULL: every point
  pipeline TEXT -- JSON of SeriesConfig.pipeline; NULL in rows from before pipelines (detector, params, threshold)
);`;

export class SqliteConfigStore implements ConfigStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(SCHEMA);
    // Data dirs made before resampling existed lack the column.
    const columns = db.prepare('PRAGMA table_info(series_config)').all();
    if (!columns.some((c) => c.name === 'resample'))
      db.exec('ALTER TABLE series_config ADD COLUMN resample TEXT');
    // …and those made before pipelines the pipeline column.
    if (!columns.some((c) => c.name === 'pipeline'))
      db.exec('ALTER TABLE series_config ADD COLUMN pipeline TEXT');
  }

  async getConfig(seriesId: number): Promise<SeriesConfig | undefined> {
    const row = this.#db
      .prepare(
        'SELECT detector, params, threshold, resample, pipeline FROM series_config WHERE series_id = ?',
      )
      .get(seriesId);
    return row === undefined ? undefined : configOfRow(row);
  }

  async setConfig(seriesId: number, c: SeriesConfig): Promise<void> {
    this.#db
      .prepare(
        'INSERT OR REPLACE INTO series_config (series_id, detector, params, threshold, resample, pipeline) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        seriesId,
        // The legacy columns keep a summary, so older readers of the table still see a config.
        pipelineLabel(c.pipeline),
        JSON.stringify(c.pipeline.detector.params ?? {}),
        c.pipeline.threshold ?? 0,
        c.resample === undefined ? null : JSON.stringify(c.resample),
        JSON.stringify(c.pipeline),
      );
  }

  /** Deletes the configs of these series; synchronous, so a caller can run it inside its transaction. */
  removeConfigs(ids: readonly number[]): void {
    const del = this.#db.prepare('DELETE FROM series_config WHERE series_id = ?');
    for (const id of ids) del.run(id);
  }

  async allConfigs(): Promise<Map<number, SeriesConfig>> {
    const out = new Map<number, SeriesConfig>();
    for (const row of this.#db
      .prepare('SELECT series_id, detector, params, threshold, resample, pipeline FROM series_config')
      .iterate()) {
      out.set(Number(row.series_id), configOfRow(row));
    }
    return out;
  }
}

function configOfRow(row: Record<string, SQLOutputValue>): SeriesConfig {
  const c: SeriesConfig = {
    pipeline:
      row.pipeline !== null && row.pipeline !== undefined
        ? JSON.parse(String(row.pipeline))
        : pipelineOfLegacy({
            detector: String(row.detector),
            params: JSON.parse(String(row.params)),
            ...(row.threshold !== null ? { threshold: Number(row.threshold) } : {}),
          }),
  };
  if (row.resample !== null) c.resample = JSON.parse(String(row.resample));
  return c;
}
