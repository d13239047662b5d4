/**
 * What the query routes read and the per-series config they change, over the ports of whichever
 * backends the composition root chose (see ./backends.ts): `vigil serve` gives it the SQLite
 * catalog and the engine thread's points, anomalies and configs; `vigil api` the PostgreSQL
 * catalog, configs and anomalies and the InfluxDB points. The one implementation of QueryBackend.
 */
import type {
  TenantQueries as ForTenant,
  QueryBackend,
  ReplayQuery,
  SeriesDeletion,
  SeriesMaintenance,
  SeriesReplay,
} from '../adapters/http/query-routes.ts';
import { MaintenanceSet, maintenanceCoverage } from '../core/alerting/maintenance.ts';
import type { Silence } from '../core/alerting/silences.ts';
import type { Anomaly, AnomalyQuery } from '../core/anomaly.ts';
import type { DetectorRegistry } from '../core/detectors/registry.ts';
import { type Downsampled, downsample } from '../core/downsample.ts';
import { pipelinesOf } from '../core/pipeline/pipelines.ts';
import type { StageState } from '../core/pipeline/stage.ts';
import type { ScoredPoint } from '../core/point.ts';
import type { AnomalyStore, SeriesConfig, SeriesConfigChange } from '../ports/meta-store.ts';
import type { PointStore } from '../ports/point-store.ts';
import type { SeriesCatalog, SeriesInfo } from '../ports/series-catalog.ts';
import { MAINTENANCE_LOOKBACK_MS } from './maintenance-poll.ts';
import { replayPoints } from './replay.ts';
import { mergeSeriesConfig } from './series-config.ts';
import { TenantQueries } from './tenant-queries.ts';

/** Per-series configs as the query side sees them. */
export interface SeriesConfigs {
  /** The config a series is scored with: its stored one, else the default. */
  configOf(seriesId: number): Promise<SeriesConfig>;
  /**
   * Makes `config` the series' config; durable when it resolves, and applied to scoring from
   * then on (at once embedded, at the detectors' next config poll scaled out).
   */
  store(seriesId: number, config: SeriesConfig): Promise<void>;
  /** The post-rule states of the series' running pipeline, where this process runs it (embedded). */
  learned?(seriesId: number): Promise<StageState[] | undefined>;
}

export interface QueryServiceDeps {
  catalog: Pick<SeriesCatalog, 'all' | 'idOf' | 'get'>;
  points: PointStore;
  anomalies: AnomalyStore;
  configs: SeriesConfigs;
  registry: DetectorRegistry;
  /** engine.allowedLatenessMs: a resampling change is checked against it. */
  allowedLatenessMs: number;
  /**
   * Deletes series with everything stored of them, durably (embedded: ./embedded.ts; scaled out:
   * ./scaled-deletion.ts).
   */
  deleteSeries: (seriesIds: number[]) => Promise<SeriesDeletion>;
  /** The AlertingStore's silences (allSilences), for the maintenance windows a config shows; absent: none shown. */
  silences?: { all(sinceMs: number): Promise<Silence[]>; now(): number };
}

export class QueryService implements QueryBackend, ForTenant {
  readonly #d: QueryServiceDeps;

  constructor(deps: QueryServiceDeps) {
    this.#d = deps;
  }

  /** The queries of one tenant: its series only, keys as its clients name them. */
  forTenant(tenant: string): QueryBackend {
    return new TenantQueries(this, tenant);
  }

  series(): Promise<SeriesInfo[]> {
    return this.#d.catalog.all();
  }

  async seriesByKey(key: string): Promise<SeriesInfo | undefined> {
    const id = await this.#d.catalog.idOf(key);
    return id === undefined ? undefined : this.#d.catalog.get(id);
  }

  seriesById(id: number): Promise<SeriesInfo | undefined> {
    return this.#d.catalog.get(id);
  }

  points(seriesId: number, from: number, to: number): Promise<ScoredPoint[]> {
    return this.#d.points.range(seriesId, from, to);
  }

  async downsampledPoints(
    seriesId: number,
    from: number,
    to: number,
    maxPoints: number,
  ): Promise<Downsampled> {
    const p = this.#d.points;
    if (p.downsampled !== undefined) return p.downsampled(seriesId, from, to, maxPoints);
    const all = await p.range(seriesId, from, to);
    return { total: all.length, points: downsample(all, maxPoints) };
  }

  anomalies(q: AnomalyQuery): Promise<Anomaly[]> {
    return this.#d.anomalies.anomalies(q);
  }

  /**
   * The series' config with its pipeline resolved by this version, as the engine runs it: a
   * config stored by an earlier version lacks defaults added since (e.g. a detector's afterglow).
   * One that no longer resolves is shown as stored (the engine reports it when it builds it).
   */
  async getConfig(seriesId: number): Promise<SeriesConfig> {
    const c = await this.#d.configs.configOf(seriesId);
    try {
      return { ...c, pipeline: pipelinesOf(this.#d.registry).resolve(c.pipeline) };
    } catch {
      return c;
    }
  }

  async learned(seriesId: number): Promise<StageState[] | undefined> {
    return this.#d.configs.learned?.(seriesId);
  }

  /**
   * The windows covering the series as the engine resolves them (./maintenance-poll.ts), from
   * the store at request time: scaled out, a detector applies a change at its next poll.
   */
  async maintenance(seriesId: number): Promise<SeriesMaintenance | undefined> {
    const src = this.#d.silences;
    const s = await this.#d.catalog.get(seriesId);
    if (src === undefined || s === undefined) return undefined;
    const now = src.now();
    const windows = maintenanceCoverage(await src.all(now - MAINTENANCE_LOOKBACK_MS), [s]).get(seriesId);
    return windows === undefined
      ? undefined
      : { learningPaused: new MaintenanceSet(windows).covers(now), windows };
  }

  /** `change` merged onto the series' current config (see mergeSeriesConfig), stored, returned. */
  async setConfig(seriesId: number, change: SeriesConfigChange): Promise<SeriesConfig> {
    const { registry, configs, allowedLatenessMs } = this.#d;
    const next = mergeSeriesConfig(registry, await configs.configOf(seriesId), change, allowedLatenessMs);
    await configs.store(seriesId, next);
    return next;
  }

  /**
   * `change` merged as setConfig merges it, then replayed (./replay.ts) over the newest
   * `q.maxPoints` points of the range, read as the points route reads them; nothing is stored.
   * The series' resampling is not applied (the backtest scores raw points, as `vigil train` does).
   */
  async replay(seriesId: number, change: SeriesConfigChange, q: ReplayQuery): Promise<SeriesReplay> {
    const { registry, configs, allowedLatenessMs } = this.#d;
    const next = mergeSeriesConfig(registry, await configs.configOf(seriesId), change, allowedLatenessMs);
    const pipeline = pipelinesOf(registry).resolve(next.pipeline);
    const all = await this.#d.points.range(seriesId, q.from, q.to);
    const points = all.length > q.maxPoints ? all.slice(all.length - q.maxPoints) : all;
    const first = points[0]?.ts;
    const last = points[points.length - 1]?.ts;
    const run = await replayPoints(points, pipeline, allowedLatenessMs, q.timeoutMs, q.signal);
    const current =
      first === undefined || last === undefined
        ? []
        : await this.#d.anomalies.anomalies({
            seriesIds: [seriesId],
            from: first,
            to: last + 1,
            limit: q.maxAnomalies,
          });
    return {
      pipeline: next.pipeline,
      total: all.length,
      points: points.length,
      ...(first !== undefined && last !== undefined ? { first, last } : {}),
      anomalies: run.anomalies.slice(-q.maxAnomalies).reverse(),
      raised: run.anomalies.length,
      current,
    };
  }

  deleteSeries(seriesIds: number[]): Promise<SeriesDeletion> {
    return this.#d.deleteSeries(seriesIds);
  }

  /** Names a series may select: the presets and the detectors that are not building blocks. */
  detectorNames(): string[] {
    return pipelinesOf(this.#d.registry).selectable();
  }
}
