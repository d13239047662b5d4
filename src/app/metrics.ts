/** Prometheus metrics of the embedded server (docs/metrics.md lists them). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RuntimeStats } from '../engine/runtime-stats.ts';
import type { IngestStats } from './ingest-service.ts';
import type { RetentionStats } from './retention-sweep.ts';
import { type WarmStartMetrics, warmStartMetrics } from './warm-start.ts';

export interface Metrics {
  registry: Registry;
  warmStart: WarmStartMetrics;
  ingestPoints: Counter<'format'>;
  ingestSkipped: Counter<'format' | 'reason'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

/** What the metrics read at scrape time: one runtime's stats, or the sum over a role's partitions. */
export interface MetricsSource {
  stats(): RuntimeStats;
  /** Ingest's request deduplication (roles that take ingest). */
  ingest?(): IngestStats;
  lagPoints(): number;
  seriesCount(): number;
  /** The retention sweep (embedded, and `vigil api` scaled out). */
  retention?(): RetentionStats;
  /** Series deleted over the API, and their scored points (embedded, and `vigil api`). */
  deletions?(): { series: number; points: number };
}

/** A gauge in `registry` whose value is `read()` at scrape time. */
export function readGauge(registry: Registry, name: string, help: string, read: () => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** A counter in `registry` that reports a total someone else keeps (`read()`), at scrape time. */
export function readCounter(registry: Registry, name: string, help: string, read: () => number): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

export function createMetrics(src: MetricsSource): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vigil_' });
  const gauge = (name: string, help: string, read: () => number) => readGauge(registry, name, help, read);
  // Counters owned by the engine runtime, exposed as counters that read its totals at scrape time.
  const counter = (name: string, help: string, read: () => number) => readCounter(registry, name, help, read);
  counter('vigil_points_accepted_total', 'Points made durable in the log.', () => src.stats().pointsAccepted);
  counter('vigil_points_scored_total', 'Points scored by the engine.', () => src.stats().pointsScored);
  counter(
    'vigil_points_late_total',
    'Points scored after newer points of their series (within lateness).',
    () => src.stats().pointsLate,
  );
  counter(
    'vigil_points_learning_paused_total',
    'Points scored inside a maintenance window of their series: not learned from, no anomaly.',
    () => src.stats().pointsLearningPaused,
  );
  counter('vigil_anomalies_total', 'Anomalies opened.', () => src.stats().anomaliesOpened);
  counter('vigil_checkpoints_total', 'Checkpoints committed.', () => src.stats().checkpoints);
  new Counter({
    name: 'vigil_points_rejected_total',
    help: 'Points accepted by ingest but rejected by the engine, by reason (too_late, duplicate).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(src.stats().rejected)) this.inc({ reason }, n);
    },
  });
  gauge('vigil_pipeline_lag_points', 'Points durable but not yet scored.', src.lagPoints);
  gauge('vigil_series', 'Known series.', src.seriesCount);
  const ingest = src.ingest;
  if (ingest !== undefined) {
    counter(
      'vigil_ingest_rate_limited_requests_total',
      'Ingest requests refused with 429 by ingest.rateLimitRequestsPerSecond.',
      () => ingest().rateLimited,
    );
    counter(
      'vigil_ingest_deduplicated_requests_total',
      'Requests skipped because their Idempotency-Key was already stored.',
      () => ingest().deduplicated,
    );
    new Counter({
      name: 'vigil_limit_refusals_total',
      help: 'Requests refused by a per-tenant limit (limits.*), by tenant and limit.',
      labelNames: ['tenant', 'limit'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [key, n] of ingest().limitRefusals) {
          const [tenant, limit] = key.split('\u0000') as [string, string];
          this.inc({ tenant, limit }, n);
        }
      },
    });
    counter(
      'vigil_ingest_memory_refused_requests_total',
      'Ingest requests refused with 503 because resident memory was above 90 % of ingest.memoryBudgetBytes.',
      () => ingest().memoryRefused,
    );
    counter(
      'vigil_ingest_dedup_errors_total',
      'Cache failures while checking or storing an Idempotency-Key (the request went through).',
      () => ingest().dedupErrors,
    );
  }
  const retention = src.retention;
  if (retention !== undefined) {
    counter(
      'vigil_retention_sweeps_total',
      'Retention sweeps run (limits.retentionMs).',
      () => retention().sweeps,
    );
    counter(
      'vigil_retention_points_removed_total',
      'Scored points removed by retention.',
      () => retention().points,
    );
    counter(
      'vigil_retention_chunks_removed_total',
      'Point chunks removed by retention.',
      () => retention().chunks,
    );
    counter(
      'vigil_retention_anomalies_removed_total',
      'Closed anomalies removed by retention.',
      () => retention().anomalies,
    );
  }
  const deletions = src.deletions;
  if (deletions !== undefined) {
    counter(
      'vigil_series_deleted_total',
      'Series deleted (DELETE /api/v1/series).',
      () => deletions().series,
    );
    counter(
      'vigil_series_deleted_points_total',
      'Scored points of the series deleted.',
      () => deletions().points,
    );
  }
  gauge(
    'vigil_last_checkpoint_seconds',
    'Duration of the last checkpoint.',
    () => src.stats().lastCheckpointMs / 1000,
  );
  return {
    registry,
    warmStart: warmStartMetrics(registry),
    ingestPoints: new Counter({
      name: 'vigil_ingest_points_total',
      help: 'Points accepted over HTTP, by format.',
      labelNames: ['format'],
      registers: [registry],
    }),
    ingestSkipped: new Counter({
      name: 'vigil_ingest_skipped_total',
      help: 'Points deliberately dropped at ingest (string fields, stale markers, non-finite samples).',
      labelNames: ['format', 'reason'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'vigil_http_request_duration_seconds',
      help: 'HTTP request latency by route.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}
