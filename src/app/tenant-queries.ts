/**
 * The query side as one tenant sees it: only series whose key carries its tenant (core/series.ts
 * TENANT_TAG), with the tag stripped from what it reads, and keys it names qualified with it. The
 * separation itself is in the storage keys (a tenant's series has its own key, id and rows); this
 * view makes sure a request reaches only its tenant's ids.
 */
import type {
  QueryBackend,
  ReplayQuery,
  SeriesDeletion,
  SeriesMaintenance,
  SeriesReplay,
} from '../adapters/http/query-routes.ts';
import type { Anomaly } from '../core/anomaly.ts';
import type { Downsampled } from '../core/downsample.ts';
import { VigilError } from '../core/errors.ts';
import type { StageState } from '../core/pipeline/stage.ts';
import type { ScoredPoint } from '../core/point.ts';
import {
  parseSeriesKey,
  seriesKey,
  TENANT_TAG,
  tagsOfTenant,
  tenantOfTags,
  withoutTenant,
} from '../core/series.ts';
import type { SeriesConfig, SeriesConfigChange } from '../ports/meta-store.ts';
import type { SeriesInfo } from '../ports/series-catalog.ts';

export class TenantQueries implements QueryBackend {
  readonly #all: QueryBackend;
  readonly #tenant: string;

  constructor(all: QueryBackend, tenant: string) {
    this.#all = all;
    this.#tenant = tenant;
  }

  async series(): Promise<SeriesInfo[]> {
    const out: SeriesInfo[] = [];
    for (const s of await this.#all.series()) {
      const own = this.#own(s);
      if (own !== undefined) out.push(own);
    }
    return out;
  }

  async seriesByKey(key: string): Promise<SeriesInfo | undefined> {
    let parsed: ReturnType<typeof parseSeriesKey>;
    try {
      parsed = parseSeriesKey(key);
    } catch {
      return undefined;
    }
    if (TENANT_TAG in parsed.tags) return undefined; // not a key a client may name
    const s = await this.#all.seriesByKey(seriesKey(parsed.metric, tagsOfTenant(parsed.tags, this.#tenant)));
    return s === undefined ? undefined : this.#own(s);
  }

  async seriesById(id: number): Promise<SeriesInfo | undefined> {
    const s = await this.#all.seriesById(id);
    return s === undefined ? undefined : this.#own(s);
  }

  async points(seriesId: number, from: number, to: number): Promise<ScoredPoint[]> {
    await this.#mustOwn(seriesId);
    return this.#all.points(seriesId, from, to);
  }

  async downsampledPoints(
    seriesId: number,
    from: number,
    to: number,
    maxPoints: number,
  ): Promise<Downsampled> {
    await this.#mustOwn(seriesId);
    return this.#all.downsampledPoints(seriesId, from, to, maxPoints);
  }

  async anomalies(q: Parameters<QueryBackend['anomalies']>[0]): Promise<Anomaly[]> {
    // The routes pass ids they looked up through this view; without ids, this tenant's series.
    const all = [...(await this.#all.series())];
    const own = new Set(all.filter((s) => tenantOfTags(s.tags) === this.#tenant).map((s) => s.id));
    // Only one tenant's series stored: nothing to filter (no id list for the store to match).
    if (q.seriesIds === undefined && own.size === all.length) return this.#all.anomalies(q);
    return this.#all.anomalies({ ...q, seriesIds: (q.seriesIds ?? [...own]).filter((id) => own.has(id)) });
  }

  async getConfig(seriesId: number): Promise<SeriesConfig> {
    await this.#mustOwn(seriesId);
    return this.#all.getConfig(seriesId);
  }

  async learned(seriesId: number): Promise<StageState[] | undefined> {
    await this.#mustOwn(seriesId);
    return this.#all.learned(seriesId);
  }

  async maintenance(seriesId: number): Promise<SeriesMaintenance | undefined> {
    await this.#mustOwn(seriesId);
    return this.#all.maintenance?.(seriesId);
  }

  async setConfig(seriesId: number, change: SeriesConfigChange): Promise<SeriesConfig> {
    await this.#mustOwn(seriesId);
    return this.#all.setConfig(seriesId, change);
  }

  /** Every id must be this tenant's, or nothing is deleted. */
  async deleteSeries(seriesIds: number[]): Promise<SeriesDeletion> {
    for (const id of seriesIds) await this.#mustOwn(id);
    return this.#all.deleteSeries(seriesIds);
  }

  detectorNames(): string[] {
    return this.#all.detectorNames();
  }

  async replay(seriesId: number, change: SeriesConfigChange, q: ReplayQuery): Promise<SeriesReplay> {
    await this.#mustOwn(seriesId);
    return this.#all.replay(seriesId, change, q);
  }

  /** `s` as this tenant sees it, or undefined when it is another tenant's. */
  #own(s: SeriesInfo): SeriesInfo | undefined {
    if (tenantOfTags(s.tags) !== this.#tenant) return undefined;
    if (!(TENANT_TAG in s.tags)) return s;
    const tags = withoutTenant(s.tags);
    return { ...s, tags, key: seriesKey(s.metric, tags) };
  }

  async #mustOwn(seriesId: number): Promise<void> {
    if ((await this.seriesById(seriesId)) === undefined) {
      throw new VigilError('VIGIL_ERR_NOT_FOUND', `no series with id ${seriesId}`, {
        location: { field: 'series' },
      });
    }
  }
}
