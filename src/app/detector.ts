/**
 * Composition root of `vigil detector`: a member of the detector consumer group on the points
 * topic. Each assigned partition becomes an engine task restored from its checkpoint in
 * PostgreSQL; scores go to InfluxDB and anomalies to PostgreSQL (one checkpoint) and then to the
 * anomalies topic. On SIGTERM: drain, checkpoint, commit, leave the group.
 */
import { setImmediate as yieldTurn } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.ts';
import { builtinDetectors } from '../core/detectors/index.ts';
import { Engine } from '../engine/engine.ts';
import type { SeriesConfig } from '../ports/meta-store.ts';
import { createMetrics } from './metrics.ts';
import { PartitionTasks } from './partition-tasks.ts';
import { roleHttp, roleLogger } from './role-server.ts';
import { openScaledOut, topicsOf } from './scaled-out.ts';

const encoder = new TextEncoder();

export interface RoleHandle {
  app: FastifyInstance;
  url: string;
  /** Graceful stop: drain, checkpoint, commit, leave the group, close connections. */
  close(): Promise<void>;
}

export async function startDetector(
  config: Readonly<Config>,
): Promise<RoleHandle & { tasks: PartitionTasks }> {
  const logger = roleLogger(config, 'detector');
  const out = await openScaledOut(config, logger);
  const topics = topicsOf(config);
  const registry = builtinDetectors();
  const defaults: SeriesConfig = {
    detector: config.engine.detector,
    params: registry.resolveParams(config.engine.detector, config.engine.params),
    threshold: config.engine.threshold ?? registry.thresholdOf(config.engine.detector),
  };
  const tasks = new PartitionTasks({
    newEngine: async () => {
      const engine = new Engine({ registry, defaults, allowedLatenessMs: config.engine.allowedLatenessMs });
      engine.loadConfigs(await out.configs.allConfigs());
      return engine;
    },
    checkpointsFor: (p) => {
      const store = out.checkpointsFor(topics.points, p);
      return {
        load: () => store.load(),
        // After the checkpoint is durable, anomalies go to their topic too. A failed publish fails
        // the checkpoint, which is retried as a whole (idempotent), so the topic gets each change
        // at least once.
        commit: async (data) => {
          await store.commit(data);
          if (data.anomalies.length === 0) return;
          await out.log.append(
            topics.anomalies,
            data.anomalies.map((a) => ({ partition: p, value: encoder.encode(JSON.stringify(a)) })),
          );
        },
      };
    },
    defer: () => yieldTurn(),
    soon: (fn) => setImmediate(fn),
    now: () => performance.now(),
    maxLagPoints: config.ingest.maxLagPoints,
  });
  let ready = false;
  const metrics = createMetrics({
    stats: () => tasks.stats(),
    lagPoints: () => tasks.lagPoints(),
    seriesCount: () => 0,
  });
  const { app, url } = await roleHttp(config, logger, metrics, () => ready);
  await out.log.ensureTopic(topics.points, config.kafka.partitions);
  await out.log.ensureTopic(topics.anomalies, config.kafka.partitions);
  const membership = await out.log.join(`${config.kafka.topicPrefix}-detector`, topics.points, tasks);
  tasks.attach(membership);
  ready = true;
  logger.info({ url, topic: topics.points }, 'detector joined the group');

  const timer = setInterval(() => {
    tasks.checkpointAll().catch((err) => logger.error({ err }, 'checkpoint failed; will retry'));
  }, config.engine.checkpointIntervalMs);
  // Per-series configs set through any API server reach the running engines within a poll.
  let polling = false;
  const configTimer = setInterval(() => {
    if (polling) return;
    polling = true;
    out.configs
      .allConfigs()
      .then((configs) => {
        const n = tasks.applyConfigs(configs);
        if (n > 0) logger.info({ changed: n }, 'applied per-series configs');
      })
      .catch((err) => logger.warn({ err }, 'reading per-series configs failed; will retry'))
      .finally(() => {
        polling = false;
      });
  }, config.engine.configPollMs);
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      ready = false;
      clearInterval(timer);
      clearInterval(configTimer);
      await membership.close(); // revokes every partition: each drains and checkpoints
      await app.close();
      await out.close();
    })();
    return closing;
  };
  return { app, url, close, tasks };
}
