/**
 * Composition root of `vigil api`: stateless HTTP ingest and queries. Ingest resolves series in
 * the PostgreSQL catalog and appends each request to the ingest topic (one transaction across its
 * partitions) before acknowledging; queries read scores from InfluxDB and anomalies and configs
 * from PostgreSQL (the replica where lag is tolerable). Run 2+ behind a load balancer.
 */
import type { QueryBackend } from '../adapters/http/query-routes.ts';
import { openRedisCache } from '../adapters/redis/index.ts';
import type { Config } from '../config/schema.ts';
import { builtinDetectors } from '../core/detectors/index.ts';
import type { SeriesConfig } from '../ports/meta-store.ts';
import type { RoleHandle } from './detector.ts';
import { IngestService, type SeriesRegistry } from './ingest-service.ts';
import { createMetrics } from './metrics.ts';
import { PartitionedSink } from './partitioned-sink.ts';
import { roleHttp, roleLogger } from './role-server.ts';
import { listOf, openScaledOut, topicsOf } from './scaled-out.ts';

export async function startApi(config: Readonly<Config>): Promise<RoleHandle & { ingest: IngestService }> {
  const logger = roleLogger(config, 'api');
  const out = await openScaledOut(config, logger);
  const topics = topicsOf(config);
  await out.log.ensureTopic(topics.ingest, config.kafka.partitions);
  const registry = builtinDetectors();
  const defaults: SeriesConfig = {
    detector: config.engine.detector,
    params: registry.resolveParams(config.engine.detector, config.engine.params),
    threshold: config.engine.threshold ?? registry.thresholdOf(config.engine.detector),
  };

  // Series are immutable once registered, so ids seen here are cached for the process's life.
  const ids = new Map<string, number>();
  const series: SeriesRegistry = {
    known: (key) => ids.get(key),
    count: () => out.catalog.count(),
    resolve: async (keys, now) => {
      const resolved = await out.catalog.resolve(keys, now);
      for (let i = 0; i < keys.length; i++) ids.set(keys[i]!, resolved[i]!);
      return resolved;
    },
  };
  const sink = new PartitionedSink(out.log, topics.ingest, config.kafka.partitions);
  const ingest = new IngestService(sink, series, config.ingest, Date.now);
  const cache = await openRedisCache({
    nodes: listOf(config.redis.nodes),
    keyPrefix: config.redis.keyPrefix,
  });
  ingest.enableDedup({ cache, ttlMs: config.ingest.idempotencyTtlMs });
  ingest.enableRateLimit(cache, config.ingest.rateLimitRequestsPerSecond);
  let seriesCount = 0;
  const metrics = createMetrics({
    stats: () => ({
      pointsAccepted: 0,
      pointsScored: 0,
      pointsLate: 0,
      anomaliesOpened: 0,
      rejected: { too_late: 0, duplicate: 0 },
      checkpoints: 0,
      lastCheckpointMs: 0,
    }),
    lagPoints: () => sink.lagPoints,
    ingest: () => ingest.stats,
    seriesCount: () => seriesCount,
  });

  const configOf = async (sid: number) => (await out.configs.getConfig(sid)) ?? defaults;
  const query: QueryBackend = {
    series: () => out.catalog.all(),
    seriesByKey: async (key) => {
      const id = await out.catalog.idOf(key);
      return id === undefined ? undefined : out.catalog.get(id);
    },
    seriesById: (id) => out.catalog.get(id),
    points: (sid, from, to) => out.points.range(sid, from, to),
    anomalies: (q) => out.anomalies.anomalies(q),
    getConfig: configOf,
    setConfig: async (sid, partial) => {
      const current = await configOf(sid);
      const detector = partial.detector ?? current.detector;
      const base =
        partial.detector !== undefined && partial.detector !== current.detector ? {} : current.params;
      const next: SeriesConfig = {
        detector,
        params: registry.resolveParams(detector, { ...base, ...(partial.params ?? {}) }),
        threshold:
          partial.threshold ??
          (detector === current.detector ? current.threshold : registry.thresholdOf(detector)),
      };
      await out.configs.setConfig(sid, next);
      return next;
    },
    detectorNames: () => registry.names(),
  };

  const { app, url } = await roleHttp(config, logger, metrics, () => ingest.ready, {
    ingest: {
      sink: ingest,
      limits: {
        maxPoints: config.ingest.maxPointsPerRequest,
        knownSeries: (key) => ids.has(key),
        series: {
          maxTagsPerSeries: config.ingest.maxTagsPerSeries,
          maxNameLength: config.ingest.maxNameLength,
          maxTagValueLength: config.ingest.maxTagValueLength,
        },
      },
      now: Date.now,
      observer: {
        accepted: (format, n) => metrics.ingestPoints.inc({ format }, n),
        skipped: (format, reason, n) => metrics.ingestSkipped.inc({ format, reason }, n),
      },
    },
    query,
    retryAfterSeconds: () => ingest.retryAfterSeconds,
  });
  ingest.setReady(true);
  const timer = setInterval(() => {
    out.catalog.count().then(
      (n) => {
        seriesCount = n;
      },
      () => {},
    );
  }, 10_000);
  logger.info({ url, topic: topics.ingest }, 'api listening');
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      ingest.setReady(false);
      clearInterval(timer);
      await app.close();
      await cache.close();
      await out.close();
    })();
    return closing;
  };
  return { app, url, close, ingest };
}
