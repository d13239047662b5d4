/**
 * Composition root of `vigil serve`: everything in one process. SQLite (`node:sqlite`) under the
 * data dir, the HTTP API on one port. This thread parses requests, makes them durable in the log
 * and answers; the engine (scoring, scored-point store, checkpoints) runs on its own threads, the
 * series sharded over them (./engine-thread.ts, `engine.threads`), so scoring never holds up a
 * request and uses the other cores.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildHttpServer } from '../adapters/http/server.ts';
import { REMOTE_READ_MAX_BYTES, remoteReadCodec } from '../adapters/ingest/remote-read.ts';
import { engineStores, sqlitePaths } from '../adapters/sqlite/index.ts';
import type { Config } from '../config/schema.ts';
import { builtinDetectors } from '../core/detectors/index.ts';
import { VigilError } from '../core/errors.ts';
import { Alerter } from './alerter.ts';
import { AlertingService } from './alerting-service.ts';
import type { ApiKeys } from './api-keys.ts';
import { authWiring } from './auth-wiring.ts';
import { openEmbedded } from './backends.ts';
import { type Delivery, loggingOutbox, startDelivery } from './delivery-wiring.ts';
import { EngineThread } from './engine-thread.ts';
import { engineThreadsOf } from './engine-threads.ts';
import { FeedbackService } from './feedback-service.ts';
import { ingestRoutesOptions } from './ingest-options.ts';
import { IngestService } from './ingest-service.ts';
import { MaintenancePoll } from './maintenance-poll.ts';
import { ingestLimits } from './memory-budget.ts';
import { createMetrics } from './metrics.ts';
import { type ModelServing, startModelServing } from './model-serving.ts';
import { QueryService } from './query-service.ts';
import { RetentionSweep } from './retention-sweep.ts';
import { alertingLimitsOf, httpLimitsOf, maxSeriesOf, pointRateOf, retentionOf } from './tenant-limits.ts';
import { tlsFiles } from './tls.ts';
import { warmStartLogged } from './warm-start.ts';

export interface EmbeddedServer {
  app: FastifyInstance;
  /** The engine threads: `drain()`, `checkpoint()`, `stats`, `threads`. */
  engine: EngineThread;
  ingest: IngestService;
  /** The retention sweep (limits.retentionMs); `sweep()` runs one now. */
  retention: RetentionSweep;
  /** API keys on `keys.db` (what `vigil keys` and /api/v1/keys manage). */
  keys: ApiKeys;
  /**
   * Notification delivery (`outbox.db`), running when `alerting.notifiers` is not empty: the
   * alerter enqueues into `delivery.outbox`.
   */
  delivery?: Delivery;
  /** Groups the engine's anomalies into incidents and hands notifications to the outbox. */
  alerter: Alerter;
  /** Maintenance windows as the engine thread holds them (`current`); `poll()` runs a round now. */
  maintenance: MaintenancePoll;
  /** Served models (./model-serving.ts): `poll.loaded`, `poll.poll()` runs a round now. */
  models: ModelServing;
  /** Address the server listens on, once `start` resolved. */
  url: string;
  knownSeries(key: string): boolean;
  /**
   * The warm start of the series whose saved state belonged to another pipeline than their
   * current one (the default pipeline changed between runs, in the config or a new version's
   * preset), started once recovered, in the background; resolves when it is done (never rejects).
   */
  restartWarmStart: Promise<void>;
  /** Drains, checkpoints and closes everything. */
  close(): Promise<void>;
}

export async function startEmbedded(
  config: Readonly<Config>,
  /** `logTo`: where the log lines go instead of stdout (tests read them). */
  opts: { listen?: boolean; logTo?: pino.DestinationStream } = {},
): Promise<EmbeddedServer> {
  const logger = pino({ level: config.logLevel, base: { service: 'vigil' } }, opts.logTo);
  // Read before any thread starts, so a bad path fails the start cleanly.
  const tls = tlsFiles(config);
  const dataDir = resolve(config.dataDir);
  // The log writer thread hands each committed append to each engine thread through a channel.
  const stores = engineStores(sqlitePaths({ dataDir }).store, engineThreadsOf(config));
  const entries = stores.paths.map(() => new MessageChannel());
  const backends = openEmbedded(
    { ...config, dataDir },
    entries.map((c) => c.port1),
  );
  if (stores.kept)
    logger.warn(
      { threads: stores.paths.length, asked: engineThreadsOf(config) },
      'engine.threads: the data dir keeps the engine thread count it was made with',
    );
  const { log, catalog, configs } = backends.ingest;
  const registry = builtinDetectors();
  const alerting = new AlertingService({
    store: backends.alerting,
    configRules: config.alerting.rules,
    notifiers: Object.keys(config.alerting.notifiers),
    now: Date.now,
    changed: (tenant) => void alerter.reload(tenant),
    // The silence is stored: a failed round is retried by the next poll.
    silencesChanged: () => maintenance.poll().then(() => {}, maintenanceFailed),
    // `ingest` is made further down; a refusal is counted only once requests are served.
    limits: alertingLimitsOf(config.limits, (tenant, limit) => ingest.countRefusal(tenant, limit)),
  });
  const noDelivery = loggingOutbox(logger);
  let delivery: Delivery | undefined;
  const deliveryStarted = Promise.withResolvers<void>();
  const alerter = await Alerter.start({
    store: backends.alerting,
    // Delivery starts further down (it registers metrics): a notification made before waits for it.
    outbox: {
      enqueue: async (names, n) => {
        await deliveryStarted.promise;
        await (delivery?.outbox ?? noDelivery).enqueue(names, n);
      },
    },
    rulesOf: (tenant) => alerting.rulesOf(tenant),
    seriesKeyOf: async (sid) => (await catalog.get(sid))?.key,
    now: Date.now,
    tickMs: config.alerting.tickMs,
    onError: (err) => logger.error({ err }, 'alerter: an anomaly change or tick failed'),
  });
  const engine = new EngineThread({
    init: {
      config: structuredClone(config) as Config,
      logPath: backends.paths.log,
      storePaths: stores.paths,
      configs: await configs.allConfigs(),
      deleted: catalog.deletedIds(),
      entries: entries.map((c) => c.port2),
    },
    log,
    onLog: (level, msg, err) => logger[level]({ err }, msg),
    onAnomalies: (list) => alerter.anomalies(list),
    failed: (err) => {
      logger.fatal({ err }, 'engine thread failed; nothing is scored until the server restarts');
      ingest.setReady(false);
    },
  });
  // Before the replay (recover), so that points of a window in the log are not learnt either.
  const maintenanceFailed = (err: unknown) =>
    logger.warn({ err }, 'reading maintenance windows failed; will retry');
  const maintenance = new MaintenancePoll({
    silences: (since) => backends.alerting.allSilences(since),
    seriesCount: async () => catalog.size,
    series: async () => catalog.allSync(),
    apply: (windows) => engine.setMaintenance(windows),
    now: Date.now,
    failed: maintenanceFailed,
  });
  await maintenance.start(config.engine.configPollMs);
  const { limits, memory } = ingestLimits(config, true);
  const ingest = new IngestService(engine, catalog, limits, Date.now);
  ingest.enableMemoryGuard(memory);
  logger.info(
    { maxSeries: limits.maxSeries, memoryBudgetMiB: Math.round(memory.budget / 1048576) },
    'ingest limits (ingest.maxSeries, ingest.memoryBudgetBytes)',
  );
  const { cache } = backends;
  ingest.enableDedup({ cache, ttlMs: config.ingest.idempotencyTtlMs });
  ingest.enableRateLimit(cache, config.ingest.rateLimitRequestsPerSecond);
  ingest.enablePointRate(cache, (tenant) => pointRateOf(config.limits, tenant));
  ingest.enableTenantSeriesLimit((tenant) => maxSeriesOf(config.limits, tenant));
  const retention = new RetentionSweep({
    series: () => catalog.allSync(),
    retentionOf: (tenant) => retentionOf(config.limits, tenant),
    retain: (ids, cutoffs) => engine.retain(ids, cutoffs),
    now: Date.now,
    failed: (err) => logger.error({ err }, 'retention sweep failed; the next one retries'),
  });
  const deletions = { series: 0, points: 0 };
  const metrics = createMetrics({
    stats: () => engine.stats,
    lagPoints: () => engine.lagPoints,
    ingest: () => ingest.stats,
    seriesCount: () => catalog.size,
    retention: () => retention.stats,
    deletions: () => deletions,
  });
  try {
    delivery = startDelivery(
      { ...config, dataDir },
      {
        registry: metrics.registry,
        onError: (err, what) => logger.error({ err }, `notification delivery: ${what}`),
      },
    );
  } catch (err) {
    deliveryStarted.resolve();
    await engine.close();
    await alerter.close();
    await backends.close();
    throw err;
  }
  deliveryStarted.resolve();

  // Served models (docs/models.md): read before the replay (recover), so that the served versions
  // score the replayed points; the engine threads keep what their checkpoints hold until then.
  let models: ModelServing;
  try {
    models = await startModelServing(config, {
      detectors: registry,
      seriesCount: async () => catalog.size,
      series: async () => catalog.allSync(),
      apply: (assignments, keep) => engine.setModels(assignments, keep),
      warmStart: (ids) =>
        warmStartLogged(ids, 'model version', (list) => engine.warmStart(list), logger, metrics.warmStart),
      stats: () => engine.modelStats(),
      log: logger,
      metrics: metrics.registry,
      role: 'embedded',
    });
  } catch (err) {
    await engine.close();
    await alerter.close();
    await delivery?.close();
    await backends.close();
    throw err;
  }

  // Points, anomalies and the configs in force come from the engine thread, which holds what is
  // not yet stored; a config change is stored in log.db and then handed to the engine thread.
  const query = new QueryService({
    catalog,
    points: {
      range: (sid, from, to) => engine.points(sid, from, to),
      downsampled: (sid, from, to, maxPoints) => engine.downsampled(sid, from, to, maxPoints),
    },
    anomalies: engine,
    configs: {
      configOf: (sid) => engine.configOf(sid),
      store: async (sid, next) => {
        await configs.setConfig(sid, next);
        await engine.setConfig(sid, next);
        // Answered once primed, so points sent after the answer meet the primed pipeline.
        if (config.models.warmStartPoints > 0)
          await warmStartLogged(
            [sid],
            'series config',
            (ids) => engine.warmStart(ids),
            logger,
            metrics.warmStart,
          );
      },
      learned: (sid) => engine.postRuleStates(sid),
    },
    registry,
    allowedLatenessMs: config.engine.allowedLatenessMs,
    silences: { all: (since) => backends.alerting.allSilences(since), now: Date.now },
    // Durable in log.db first (tombstones: a crash after it cannot bring the series back), then
    // the engine thread forgets the series and deletes its rows in store.db, then their labels go.
    deleteSeries: async (ids) => {
      // The engine thread takes deletions once it has recovered (its recovery reads the tombstones).
      if (!ingest.ready) throw new VigilError('VIGIL_ERR_NOT_READY', 'server is recovering; retry shortly');
      const gone = backends.ingest.deleteSeries(ids, Date.now());
      if (gone.length === 0) return { series: 0, points: 0, anomalies: 0 };
      const stored = await engine.deleteSeries(gone);
      // A crash before this: feedback.restore deletes the labels at the next start.
      await backends.feedback.deleteSeries(gone);
      deletions.series += gone.length;
      deletions.points += stored.points;
      logger.info({ series: gone.length, points: stored.points }, 'series deleted');
      return { series: gone.length, points: stored.points, anomalies: stored.anomalies };
    },
  });

  // Labels in feedback.db; each change sets the series' labels in the engine thread's pipeline.
  const feedback = new FeedbackService({
    queries: (tenant) => query.forTenant(tenant),
    store: backends.feedback,
    apply: (sid, examples) => engine.feedback(sid, examples),
    newId: () => randomBytes(8).toString('hex'),
    now: Date.now,
  });

  const { auth, keys } = await authWiring(config, backends.apiKeys, cache, logger);
  const app = await buildHttpServer({
    logger,
    ...tls,
    auth,
    keys,
    audit: {
      log: backends.audit,
      now: Date.now,
      failed: (err) => logger.error({ err }, 'audit log: an event could not be stored'),
    },
    alerting,
    bodyLimitBytes: config.http.bodyLimitBytes,
    limits: httpLimitsOf(config, (tenant, limit) => ingest.countRefusal(tenant, limit)),
    trustProxy: config.http.trustProxy,
    ingest: ingestRoutesOptions(config, ingest, metrics, (key) => catalog.known(key) !== undefined),
    query,
    remoteRead: remoteReadCodec(REMOTE_READ_MAX_BYTES),
    feedback,
    health: {
      ready: () => ingest.ready,
      metrics: async () => ({
        contentType: metrics.registry.contentType,
        body: await metrics.registry.metrics(),
      }),
    },
    retryAfterSeconds: () => ingest.retryAfterSeconds,
    observeRequest: (method, route, status, seconds) =>
      metrics.httpDuration.observe({ method, route, status: String(status) }, seconds),
  });

  let url = '';
  if (opts.listen !== false) {
    try {
      url = await app.listen({ host: config.http.host, port: config.http.port });
    } catch (err) {
      await models.close();
      await engine.close();
      await alerter.close();
      await delivery?.close();
      await backends.close();
      throw new VigilError(
        'VIGIL_ERR_CONFIG',
        `cannot listen on ${config.http.host}:${config.http.port}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  // Serve /healthz and /readyz (503) while recovering; ingest answers 503 until ready.
  const rec = await engine.recover();
  // The checkpoint may predate a label change: the stored labels are the truth.
  await feedback.restore(new Set(catalog.deletedIds()));
  logger.info({ dataDir, checkpointOffset: rec.offset, replayedEntries: rec.replayedEntries }, 'recovered');
  ingest.setReady(true);
  // Series restored afresh (their pipeline changed since the last run) are primed from their
  // stored history as after a config change, while the server already serves.
  // With models.warmStartPoints 0 the engine keeps no live points for them: nothing to prime.
  const restartWarmStart =
    config.models.warmStartPoints > 0
      ? warmStartLogged(
          rec.afresh,
          'pipeline changed since the last run',
          (ids) => engine.warmStart(ids),
          logger,
          metrics.warmStart,
        )
      : Promise.resolve();
  retention.start(config.storage.retentionSweepMs);

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      ingest.setReady(false);
      await app.close();
      await retention.stop();
      await maintenance.stop();
      await models.close();
      await engine.close();
      await alerter.close();
      await delivery?.close();
      await backends.close();
    })();
    return closing;
  };
  if (url !== '') logger.info({ url, dataDir }, 'vigil listening');
  return {
    app,
    engine,
    ingest,
    retention,
    keys,
    alerter,
    maintenance,
    models,
    url,
    restartWarmStart,
    close,
    knownSeries: (key) => catalog.known(key) !== undefined,
    ...(delivery !== undefined ? { delivery } : {}),
  };
}
