/**
 * Turns parsed points into a log batch: applies the pipeline's backpressure and cardinality limits,
 * registers new series, and resolves once the batch is durable.
 */
import { VigilError } from '../core/errors.ts';
import type { IngestPoint } from '../core/point.ts';
import type { Tags } from '../core/series.ts';
import { DEFAULT_TENANT, seriesKey, tagsOfTenant } from '../core/series.ts';
import type { Cache } from '../ports/cache.ts';
import type { PointBatch } from '../ports/log.ts';
import type { PointRate } from './tenant-limits.ts';

export interface IngestLimitsConfig {
  /** Resolved: the configured value or the one derived from the memory budget (memory-budget.ts). */
  maxSeries: number;
  maxLagPoints: number;
  retryAfterSeconds: number;
}

/** Ingest pushes back once `rss()` passes this share of `budget`, before the process is at risk. */
export const MEMORY_HIGH_WATER = 0.9;

export interface MemoryGuard {
  rss(): number;
  budget: number;
  /**
   * What a series' state costs once grown, where this process holds it (0 where it does not, as in
   * `vigil api`): new series are admitted only while the resident set at start plus every series
   * at this cost stays under the high-water mark. Counting series, not the resident set, because
   * the engine builds a new series' state after the ack, so the resident set shows a burst of new
   * series only once it is too late.
   */
  bytesPerSeries: number;
}

/** Where accepted batches go: the embedded runtime's log, or Kafka in the scaled-out `vigil api`. */
export interface BatchSink {
  /** Resolves once the batch is durable. `keys[i]` is the series key of point i (for partitioning). */
  submit(batch: PointBatch, keys: readonly string[]): Promise<void>;
  /** Points durable but not yet processed, for backpressure. */
  readonly lagPoints: number;
}

/** The series registry as ingest needs it: a synchronous local lookup first, the catalog after. */
export interface SeriesRegistry {
  /** Id of a key this process already knows, or undefined (then `resolve` decides). */
  known(key: string): number | undefined;
  count(): Promise<number>;
  /** Series of one tenant (limits.maxSeries). */
  countOf(tenant: string): Promise<number>;
  resolve(keys: readonly string[], nowMs: number): Promise<Int32Array>;
}

/** Request deduplication by the client's Idempotency-Key (Redis scaled out, memory embedded). */
export interface IngestDedup {
  cache: Cache;
  ttlMs: number;
}

export interface IngestStats {
  /** Requests refused with 429 by the rate limit. */
  rateLimited: number;
  /** Requests skipped because their Idempotency-Key was already stored. */
  deduplicated: number;
  /** Cache failures while deduplicating (the request went through without it). */
  dedupErrors: number;
  /** Requests refused with 503 because the process was near its memory budget. */
  memoryRefused: number;
  /** Requests refused by a per-tenant limit, by `tenant \0 limit name`. */
  limitRefusals: Map<string, number>;
}

const mib = (bytes: number): number => Math.round(bytes / 1048576);

export class IngestService {
  readonly stats: IngestStats = {
    rateLimited: 0,
    deduplicated: 0,
    dedupErrors: 0,
    memoryRefused: 0,
    limitRefusals: new Map(),
  };
  #dedup: IngestDedup | undefined;
  #rateLimit: { cache: Cache; perSecond: number } | undefined;
  #memory: MemoryGuard | undefined;
  #pointRate: { cache: Cache; rateOf: (tenant: string) => PointRate | undefined } | undefined;
  #baseRss = 0;
  #tenantSeries: ((tenant: string) => number | undefined) | undefined;
  readonly #runtime: BatchSink;
  readonly #catalog: SeriesRegistry;
  readonly #limits: IngestLimitsConfig;
  readonly #now: () => number;
  #ready = false;

  constructor(runtime: BatchSink, catalog: SeriesRegistry, limits: IngestLimitsConfig, now: () => number) {
    this.#runtime = runtime;
    this.#catalog = catalog;
    this.#limits = limits;
    this.#now = now;
  }

  /**
   * Turns on Idempotency-Key handling. At least once, never lost: a key is stored only after its
   * request is durable, so a retry of a request that failed or whose answer was lost is appended
   * again unless the key made it — and the engine rejects a repeat's points as duplicates anyway.
   * A cache outage only turns the shortcut off.
   */
  enableDedup(dedup: IngestDedup): void {
    this.#dedup = dedup;
  }

  /**
   * Caps ingest requests per second across every process sharing `cache` (fixed one-second
   * windows). A cache outage lets requests through rather than refusing all of them.
   */
  enableRateLimit(cache: Cache, perSecond: number): void {
    this.#rateLimit = perSecond > 0 ? { cache, perSecond } : undefined;
  }

  /**
   * Caps each tenant's points per second with a token bucket in `cache` (shared by every API
   * server scaled out). A cache outage lets requests through rather than refusing all of them.
   */
  enablePointRate(cache: Cache, rateOf: (tenant: string) => PointRate | undefined): void {
    this.#pointRate = { cache, rateOf };
  }

  /** Caps each tenant's series count (limits.maxSeries); `maxOf` undefined: no cap for that tenant. */
  enableTenantSeriesLimit(maxOf: (tenant: string) => number | undefined): void {
    this.#tenantSeries = maxOf;
  }

  /** Refuses ingest with 503 while the resident set is above MEMORY_HIGH_WATER of the budget. */
  enableMemoryGuard(guard: MemoryGuard): void {
    this.#memory = guard;
  }

  setReady(ready: boolean): void {
    // The resident set once recovered is what the process costs before series are added to it.
    if (ready && !this.#ready && this.#memory !== undefined) this.#baseRss = this.#memory.rss();
    this.#ready = ready;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Seconds a client should wait before retrying when the pipeline is behind. */
  get retryAfterSeconds(): number {
    return this.#limits.retryAfterSeconds;
  }

  /**
   * `knownKeys`, when given, holds each point's canonical series key (parsers build them anyway).
   * `idempotency`: the client's key and a fingerprint of the request; a repeat with the same
   * fingerprint is skipped, one with another fingerprint is refused (a retry must repeat its body).
   */
  async ingest(
    points: readonly IngestPoint[],
    knownKeys?: readonly string[],
    idempotency?: { key: string; fingerprint: string },
    tenant = 'default',
  ): Promise<void> {
    const limit = this.#rateLimit;
    if (limit !== undefined) {
      const n = await limit.cache.incrWindow('rate:ingest', 1000, this.#now()).catch(() => 0);
      if (n > limit.perSecond) {
        this.stats.rateLimited++;
        throw new VigilError(
          'VIGIL_ERR_RATE_LIMITED',
          `more than ingest.rateLimitRequestsPerSecond ${limit.perSecond} requests this second; retry later`,
        );
      }
    }
    const rate = this.#pointRate?.rateOf(tenant);
    if (rate !== undefined && points.length > 0) {
      const wait = await this.#pointRate!.cache.takeTokens(
        `limit:points:${tenant}`,
        points.length,
        rate.perSecond,
        rate.burst,
        this.#now(),
      ).catch(() => 0);
      if (wait > 0) {
        this.countRefusal(tenant, 'ingestPointsPerSecond');
        throw new VigilError(
          'VIGIL_ERR_RATE_LIMITED',
          `tenant ${tenant} is over limits.ingestPointsPerSecond ${rate.perSecond} (burst ${rate.burst}); retry in ${Math.ceil(wait / 1000)} s`,
          { retryAfterSeconds: Math.ceil(wait / 1000) },
        );
      }
    }
    const dedup = idempotency === undefined ? undefined : this.#dedup;
    const cacheKey = `idem:${idempotency?.key}`;
    if (dedup !== undefined) {
      const seen = await dedup.cache.get(cacheKey).catch(() => {
        this.stats.dedupErrors++;
        return undefined;
      });
      if (seen !== undefined) {
        if (seen !== idempotency!.fingerprint) {
          throw new VigilError(
            'VIGIL_ERR_IDEMPOTENCY_CONFLICT',
            `Idempotency-Key ${JSON.stringify(idempotency!.key)} was used for a request with another body within ingest.idempotencyTtlMs; nothing was stored`,
            { location: { field: 'Idempotency-Key' } },
          );
        }
        this.stats.deduplicated++;
        return;
      }
    }
    await this.#ingest(points, tenant === DEFAULT_TENANT ? knownKeys : tenantKeys(points, tenant), tenant);
    if (dedup !== undefined) {
      await dedup.cache.set(cacheKey, idempotency!.fingerprint, dedup.ttlMs).catch(() => {
        this.stats.dedupErrors++;
      });
    }
  }

  /** Counts a refusal of `tenant` by a per-tenant limit (/metrics vigil_limit_refusals_total). */
  countRefusal(tenant: string, limit: string): void {
    const key = `${tenant}\u0000${limit}`;
    this.stats.limitRefusals.set(key, (this.stats.limitRefusals.get(key) ?? 0) + 1);
  }

  async #ingest(
    points: readonly IngestPoint[],
    knownKeys: readonly string[] | undefined,
    tenant: string,
  ): Promise<void> {
    if (!this.#ready) throw new VigilError('VIGIL_ERR_NOT_READY', 'server is recovering; retry shortly');
    if (this.#runtime.lagPoints > this.#limits.maxLagPoints) {
      throw new VigilError(
        'VIGIL_ERR_BACKPRESSURE',
        `pipeline is ${this.#runtime.lagPoints} points behind (ingest.maxLagPoints ${this.#limits.maxLagPoints}); retry later`,
      );
    }
    const memory = this.#memory;
    if (memory !== undefined && memory.rss() > MEMORY_HIGH_WATER * memory.budget) {
      this.stats.memoryRefused++;
      throw new VigilError(
        'VIGIL_ERR_MEMORY_PRESSURE',
        `resident memory ${mib(memory.rss())} MiB is above ${MEMORY_HIGH_WATER * 100} % of ingest.memoryBudgetBytes (${mib(memory.budget)} MiB); retry later`,
      );
    }
    if (points.length === 0) return;
    const n = points.length;
    const seriesIds = new Int32Array(n);
    const keys: string[] = new Array(n);
    // Known series resolve here with one lookup each; only new ones go through `resolve`.
    let fresh: { at: number[]; keys: string[] } | undefined;
    for (let i = 0; i < n; i++) {
      const p = points[i]!;
      const k = knownKeys?.[i] ?? seriesKey(p.metric, p.tags);
      keys[i] = k;
      const id = this.#catalog.known(k);
      if (id !== undefined) seriesIds[i] = id;
      else {
        fresh ??= { at: [], keys: [] };
        fresh.at.push(i);
        fresh.keys.push(k);
      }
    }
    if (fresh !== undefined) {
      const distinct = new Set(fresh.keys).size;
      const count = await this.#catalog.count();
      if (memory !== undefined && memory.bytesPerSeries > 0) {
        const need = this.#baseRss + (count + distinct) * memory.bytesPerSeries;
        if (need > MEMORY_HIGH_WATER * memory.budget) {
          throw new VigilError(
            'VIGIL_ERR_SERIES_LIMIT',
            `request would create ${distinct} new series; with the ${count} that exist their state would need ~${mib(need)} MiB, past ${MEMORY_HIGH_WATER * 100} % of ingest.memoryBudgetBytes (${mib(memory.budget)} MiB)`,
          );
        }
      }
      if (count + distinct > this.#limits.maxSeries) {
        throw new VigilError(
          'VIGIL_ERR_SERIES_LIMIT',
          `request would create ${distinct} new series; ${count} of ingest.maxSeries ${this.#limits.maxSeries} exist`,
        );
      }
      const own = this.#tenantSeries?.(tenant);
      if (own !== undefined) {
        const have = await this.#catalog.countOf(tenant);
        if (have + distinct > own) {
          this.countRefusal(tenant, 'maxSeries');
          throw new VigilError(
            'VIGIL_ERR_SERIES_LIMIT',
            `request would create ${distinct} new series; tenant ${tenant} has ${have} of its limits.maxSeries ${own}`,
          );
        }
      }
      const ids = await this.#catalog.resolve(fresh.keys, this.#now());
      for (let j = 0; j < ids.length; j++) seriesIds[fresh.at[j]!] = ids[j]!;
    }
    const ts = new Float64Array(n);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      ts[i] = points[i]!.ts;
      values[i] = points[i]!.value;
    }
    await this.#runtime.submit({ seriesIds, ts, values }, keys);
  }
}

/** Each point's series key as stored for `tenant` (one key built per series of the request). */
function tenantKeys(points: readonly IngestPoint[], tenant: string): string[] {
  // Parsers share one tags object between the series of a line (one per field): key by both.
  const memo = new Map<string, Map<Tags, string>>();
  return points.map((p) => {
    let byTags = memo.get(p.metric);
    if (byTags === undefined) {
      byTags = new Map();
      memo.set(p.metric, byTags);
    }
    let key = byTags.get(p.tags);
    if (key === undefined) {
      key = seriesKey(p.metric, tagsOfTenant(p.tags, tenant));
      byTags.set(p.tags, key);
    }
    return key;
  });
}
