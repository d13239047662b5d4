/**
 * Turns parsed points into a log batch: applies the pipeline's backpressure and cardinality limits,
 * registers new series, and resolves once the batch is durable.
 */
import { VigilError } from '../core/errors.ts';
import type { IngestPoint } from '../core/point.ts';
import { seriesKey } from '../core/series.ts';
import type { PartitionRuntime } from '../engine/runtime.ts';
import type { SeriesCatalog } from '../ports/series-catalog.ts';

export interface IngestLimitsConfig {
  maxSeries: number;
  maxLagPoints: number;
  retryAfterSeconds: number;
}

export class IngestService {
  readonly #runtime: PartitionRuntime;
  readonly #catalog: SeriesCatalog;
  readonly #limits: IngestLimitsConfig;
  readonly #now: () => number;
  #ready = false;

  constructor(
    runtime: PartitionRuntime,
    catalog: SeriesCatalog,
    limits: IngestLimitsConfig,
    now: () => number,
  ) {
    this.#runtime = runtime;
    this.#catalog = catalog;
    this.#limits = limits;
    this.#now = now;
  }

  setReady(ready: boolean): void {
    this.#ready = ready;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Seconds a client should wait before retrying when the pipeline is behind. */
  get retryAfterSeconds(): number {
    return this.#limits.retryAfterSeconds;
  }

  /** `knownKeys`, when given, holds each point's canonical series key (parsers build them anyway). */
  async ingest(points: readonly IngestPoint[], knownKeys?: readonly string[]): Promise<void> {
    if (!this.#ready) throw new VigilError('VIGIL_ERR_NOT_READY', 'server is recovering; retry shortly');
    if (this.#runtime.lagPoints > this.#limits.maxLagPoints) {
      throw new VigilError(
        'VIGIL_ERR_BACKPRESSURE',
        `pipeline is ${this.#runtime.lagPoints} points behind (ingest.maxLagPoints ${this.#limits.maxLagPoints}); retry later`,
      );
    }
    if (points.length === 0) return;
    const n = points.length;
    const keys = new Array<string>(n);
    let fresh = 0;
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const p = points[i]!;
      const k = knownKeys?.[i] ?? seriesKey(p.metric, p.tags);
      keys[i] = k;
      if (this.#catalog.idOf(k) === undefined && !seen.has(k)) {
        seen.add(k);
        fresh++;
      }
    }
    if (fresh > 0 && this.#catalog.count() + fresh > this.#limits.maxSeries) {
      throw new VigilError(
        'VIGIL_ERR_SERIES_LIMIT',
        `request would create ${fresh} new series; ${this.#catalog.count()} of ingest.maxSeries ${this.#limits.maxSeries} exist`,
      );
    }
    const seriesIds = this.#catalog.resolve(keys, this.#now());
    const ts = new Float64Array(n);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      ts[i] = points[i]!.ts;
      values[i] = points[i]!.value;
    }
    await this.#runtime.submit({ seriesIds, ts, values });
  }
}
