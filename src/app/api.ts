/**
 * Composition root of `vigil api`: stateless HTTP ingest and queries. Ingest resolves series in
 * the PostgreSQL catalog and appends each request to the ingest topic (one transaction across its
 * partitions) before acknowledging; queries read scores from InfluxDB and anomalies and configs
 * from PostgreSQL (the replica where lag is tolerable); alert rules, silences and incidents in
 * PostgreSQL, which `vigil alerter` re-reads every `alerting.reloadMs`; feedback labels in
 * PostgreSQL, which detectors poll every `engine.configPollMs`. Run 2+ behind a load
 * balancer. Deletes series (./scaled-deletion.ts), forgets those other replicas deleted at each
 * tombstone poll (engine.configPollMs), and runs the retention sweep, one replica per interval
 * (./scaled-retention.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import { builtinDetectors } from '../core/detectors/index.ts';
import { emptyStats } from '../engine/runtime-stats.ts';
import { AlertingService } from './alerting-service.ts';
import { authWiring } from './auth-wiring.ts';
import { openScaledOut, topicsOf } from './backends.ts';
import type { RoleHandle } from './detector.ts';
import { FeedbackService } from './feedback-service.ts';
import { ingestRoutesOptions } from './ingest-options.ts';
import { IngestService } from './ingest-service.ts';
import { ingestLimits } from './memory-budget.ts';
import { createMetrics } from './metrics.ts';
import { PartitionedSink } from './partitioned-sink.ts';
import { QueryService } from './query-service.ts';
import { roleHttp, roleLogger } from './role-server.ts';
import { scaledDeletion } from './scaled-deletion.ts';
import { ScaledRetentionSweep } from './scaled-retention.ts';
import { defaultSeriesConfig } from './series-config.ts';
import { alertingLimitsOf, maxSeriesOf, pointRateOf, retentionOf } from './tenant-limits.ts';
import { TombstonePoll } from './tombstone-poll.ts';

export async function startApi(
  config: Readonly<Config>,
): Promise<
  RoleHandle & { ingest: IngestService; retention: ScaledRetentionSweep; tombstones: TombstonePoll }
> {
  const logger = roleLogger(config, 'api');
  const out = await openScaledOut(config, logger);
  const topics = topicsOf(config);
  await out.log.ensureTopic(topics.ingest, config.kafka.partitions);
  const registry = builtinDetectors();
  const defaults = defaultSeriesConfig(config, registry);

  const sink = new PartitionedSink(out.log, topics.ingest, config.kafka.partitions);
  // The series cap counts every series of the deployment, but memory is this process': set
  // ingest.maxSeries explicitly when scaled out (docs/deployment.md).
  const { limits, memory } = ingestLimits(config, false);
  const ingest = new IngestService(sink, out.catalog, limits, Date.now);
  ingest.enableMemoryGuard(memory);
  const cache = await out.cache();
  ingest.enableDedup({ cache, ttlMs: config.ingest.idempotencyTtlMs });
  ingest.enableRateLimit(cache, config.ingest.rateLimitRequestsPerSecond);
  ingest.enablePointRate(cache, (tenant) => pointRateOf(config.limits, tenant));
  ingest.enableTenantSeriesLimit((tenant) => maxSeriesOf(config.limits, tenant));
  let seriesCount = 0;
  const retention = new ScaledRetentionSweep({
    out,
    retentionOf: (tenant) => retentionOf(config.limits, tenant),
    now: Date.now,
    failed: (err) => logger.error({ err }, 'retention sweep failed; the next one retries'),
  });
  const deletions = { series: 0, points: 0 };
  const deleteSeries = scaledDeletion(out, Date.now);
  // Series deleted through another replica: their keys stop resolving to the old ids here.
  const tombstones = new TombstonePoll({
    source: out.tombstones,
    apply: async (gone) => out.catalog.forget(gone.map((t) => t.id)),
    failed: (err) => logger.warn({ err }, 'reading deleted series failed; will retry'),
  });
  await tombstones.start(config.engine.configPollMs);
  const metrics = createMetrics({
    stats: emptyStats,
    lagPoints: () => sink.lagPoints,
    ingest: () => ingest.stats,
    seriesCount: () => seriesCount,
    retention: () => retention.stats,
    deletions: () => deletions,
  });

  // Configs are read from PostgreSQL here and by the detectors at their next poll.
  const query = new QueryService({
    catalog: out.catalog,
    points: out.points,
    anomalies: out.anomalies,
    configs: {
      configOf: async (sid) => (await out.configs.getConfig(sid)) ?? defaults,
      store: (sid, next) => out.configs.setConfig(sid, next),
    },
    registry,
    allowedLatenessMs: config.engine.allowedLatenessMs,
    silences: { all: (since) => out.alerting.allSilences(since), now: Date.now },
    deleteSeries: async (ids) => {
      const done = await deleteSeries(ids);
      deletions.series += done.series;
      deletions.points += done.points;
      if (done.series > 0) logger.info({ series: done.series, points: done.points }, 'series deleted');
      return done;
    },
  });

  const { auth, keys } = await authWiring(config, out.apiKeys, cache, logger);
  const { app, url } = await roleHttp(config, logger, metrics, () => ingest.ready, auth, {
    ingest: ingestRoutesOptions(config, ingest, metrics, (key) => out.catalog.known(key) !== undefined),
    query,
    keys,
    audit: {
      log: out.audit,
      now: Date.now,
      failed: (err) => logger.error({ err }, 'audit log: an event could not be stored'),
    },
    // No `changed`: the active alerter is another process; it polls the store (alerting.reloadMs).
    alerting: new AlertingService({
      store: out.alerting,
      configRules: config.alerting.rules,
      notifiers: Object.keys(config.alerting.notifiers),
      now: Date.now,
      limits: alertingLimitsOf(config.limits, (tenant, limit) => ingest.countRefusal(tenant, limit)),
    }),
    // No `apply`: each detector polls the labels' changes (./feedback-poll.ts).
    feedback: new FeedbackService({
      queries: (tenant) => query.forTenant(tenant),
      store: out.feedback,
      newId: () => randomBytes(8).toString('hex'),
      now: Date.now,
    }),
    retryAfterSeconds: () => ingest.retryAfterSeconds,
    refused: (tenant, limit) => ingest.countRefusal(tenant, limit),
  });
  ingest.setReady(true);
  retention.start(config.storage.retentionSweepMs);
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
      await retention.stop();
      await tombstones.stop();
      await app.close();
      await out.close();
    })();
    return closing;
  };
  return { app, url, close, ingest, retention, tombstones };
}
