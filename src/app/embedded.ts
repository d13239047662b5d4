/**
 * Composition root of `vigil serve`: everything in one process. SQLite (`node:sqlite`) under the
 * data dir, the engine in this thread, the HTTP API on one port.
 */
import { join, resolve } from 'node:path';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { QueryBackend } from '../adapters/http/query-routes.ts';
import { buildHttpServer } from '../adapters/http/server.ts';
import { MemoryCache } from '../adapters/memory/cache.ts';
import { SqliteIngestDb } from '../adapters/sqlite/ingest-db.ts';
import { openDatabase } from '../adapters/sqlite/open.ts';
import { SqliteStoreDb } from '../adapters/sqlite/store-db.ts';
import type { Config } from '../config/schema.ts';
import { selectAnomalies } from '../core/anomaly.ts';
import { builtinDetectors } from '../core/detectors/index.ts';
import { VigilError } from '../core/errors.ts';
import type { ScoredPoint } from '../core/point.ts';
import { Engine } from '../engine/engine.ts';
import { PartitionRuntime } from '../engine/runtime.ts';
import { ingestRoutesOptions } from './ingest-options.ts';
import { IngestService } from './ingest-service.ts';
import { createMetrics } from './metrics.ts';
import { defaultSeriesConfig, mergeSeriesConfig } from './series-config.ts';

export interface EmbeddedServer {
  app: FastifyInstance;
  runtime: PartitionRuntime;
  ingest: IngestService;
  /** Address the server listens on, once `start` resolved. */
  url: string;
  knownSeries(key: string): boolean;
  /** Drains, checkpoints and closes everything. */
  close(): Promise<void>;
}

export async function startEmbedded(
  config: Readonly<Config>,
  opts: { listen?: boolean } = {},
): Promise<EmbeddedServer> {
  const logger = pino({ level: config.logLevel, base: { service: 'vigil' } });
  const dataDir = resolve(config.dataDir);
  const logPath = join(dataDir, 'log.db');
  const ingestDb = new SqliteIngestDb(openDatabase(logPath, config.storage.synchronous), {
    kind: 'worker',
    path: logPath,
    synchronous: config.storage.synchronous,
  });
  // Everything in store.db is rebuilt from the log after a crash, so it needs no fsync per commit.
  const storePath = join(dataDir, 'store.db');
  const storeDb = new SqliteStoreDb(openDatabase(storePath, 'normal'), {
    kind: 'worker',
    path: storePath,
    synchronous: 'normal',
  });
  const registry = builtinDetectors();
  const defaults = defaultSeriesConfig(config, registry);
  const engine = new Engine({ registry, defaults, allowedLatenessMs: config.engine.allowedLatenessMs });
  engine.loadConfigs(await ingestDb.allConfigs());
  const runtime = new PartitionRuntime({
    engine,
    log: ingestDb,
    checkpoints: storeDb,
    defer: () => yieldTurn(),
    soon: (fn) => setImmediate(fn),
    now: () => performance.now(),
  });
  const ingest = new IngestService(runtime, ingestDb, config.ingest, Date.now);
  const cache = new MemoryCache();
  ingest.enableDedup({ cache, ttlMs: config.ingest.idempotencyTtlMs });
  ingest.enableRateLimit(cache, config.ingest.rateLimitRequestsPerSecond);
  const metrics = createMetrics({
    stats: () => runtime.stats,
    lagPoints: () => runtime.lagPoints,
    ingest: () => ingest.stats,
    seriesCount: () => ingestDb.size,
  });

  const query: QueryBackend = {
    series: async () => ingestDb.allSync(),
    seriesByKey: async (key) => {
      const id = ingestDb.known(key);
      return id === undefined ? undefined : ingestDb.info(id);
    },
    seriesById: async (id) => ingestDb.info(id),
    points: async (sid, from, to) => {
      const stored = await storeDb.range(sid, from, to);
      const recent = runtime.unflushed(sid, from, to);
      const all: ScoredPoint[] = stored.concat(recent);
      all.sort((a, b) => a.ts - b.ts);
      return all;
    },
    anomalies: async (q) => {
      const stored = await storeDb.anomalies(q);
      // The newest form of each anomaly wins (stored < in-flight checkpoint < since it), then the filter.
      const byKey = new Map(stored.map((a) => [`${a.seriesId}:${a.start}`, a]));
      for (const a of runtime.unflushedAnomalies()) byKey.set(`${a.seriesId}:${a.start}`, a);
      return selectAnomalies(byKey.values(), q);
    },
    getConfig: async (sid) => engine.configOf(sid),
    setConfig: async (sid, partial) => {
      const next = mergeSeriesConfig(
        registry,
        engine.configOf(sid),
        partial,
        config.engine.allowedLatenessMs,
      );
      await ingestDb.setConfig(sid, next);
      engine.setConfig(sid, next, {
        point: () => {},
        anomaly: () => {},
        rejected: () => {},
      });
      return next;
    },
    detectorNames: () => registry.names(),
  };

  const app = await buildHttpServer({
    logger,
    bodyLimitBytes: config.http.bodyLimitBytes,
    ingest: ingestRoutesOptions(config, ingest, metrics, (key) => ingestDb.known(key) !== undefined),
    query,
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
      await ingestDb.close();
      await storeDb.close();
      throw new VigilError(
        'VIGIL_ERR_CONFIG',
        `cannot listen on ${config.http.host}:${config.http.port}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  // Serve /healthz and /readyz (503) while recovering; ingest answers 503 until ready.
  const rec = await runtime.recover();
  logger.info({ dataDir, checkpointOffset: rec.offset, replayedEntries: rec.replayedEntries }, 'recovered');
  ingest.setReady(true);

  const timer = setInterval(() => {
    runtime.checkpoint().catch((err) => logger.error({ err }, 'checkpoint failed; will retry'));
  }, config.engine.checkpointIntervalMs);

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      ingest.setReady(false);
      clearInterval(timer);
      await app.close();
      await runtime.close();
      await ingestDb.close();
      await storeDb.close();
    })();
    return closing;
  };
  if (url !== '') logger.info({ url, dataDir }, 'vigil listening');
  return { app, runtime, ingest, url, close, knownSeries: (key) => ingestDb.known(key) !== undefined };
}
