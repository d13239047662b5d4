/**
 * Composition root of `vigil detector`: a member of the detector consumer group on the points
 * topic. Each assigned partition becomes an engine task restored from its checkpoint in
 * PostgreSQL; scores go to InfluxDB and anomalies to PostgreSQL (one checkpoint) and then to the
 * anomalies topic. On SIGTERM: drain, checkpoint, commit, leave the group.
 */
import type { FastifyInstance } from 'fastify';
import { MemoryCache } from '../adapters/memory/cache.ts';
import type { Config } from '../config/schema.ts';
import { emptyStats } from '../engine/runtime-stats.ts';
import { authWiring } from './auth-wiring.ts';
import { openScaledOut, topicsOf } from './backends.ts';
import { startDetectorWorker } from './detector-worker.ts';
import type { FeedbackPoll } from './feedback-poll.ts';
import { createMetrics } from './metrics.ts';
import type { ModelServing } from './model-serving.ts';
import type { PartitionTasks } from './partition-tasks.ts';
import { roleHttp, roleLogger } from './role-server.ts';
import type { TombstonePoll } from './tombstone-poll.ts';

export interface RoleHandle {
  app: FastifyInstance;
  url: string;
  /** Graceful stop: drain, checkpoint, commit, leave the group, close connections. */
  close(): Promise<void>;
}

export async function startDetector(config: Readonly<Config>): Promise<
  RoleHandle & {
    tasks: PartitionTasks;
    tombstones: TombstonePoll;
    feedback: FeedbackPoll;
    models: ModelServing;
  }
> {
  const logger = roleLogger(config, 'detector');
  const out = await openScaledOut(config, logger);
  const topics = topicsOf(config);
  let tasks: PartitionTasks | undefined;
  let ready = false;
  const metrics = createMetrics({
    stats: () => tasks?.stats() ?? emptyStats(),
    lagPoints: () => tasks?.lagPoints() ?? 0,
    seriesCount: () => tasks?.seriesCount() ?? 0,
  });
  // Only /metrics needs a key here; failed attempts are counted per process.
  const { auth } = await authWiring(config, out.apiKeys, new MemoryCache(), logger);
  const { app, url } = await roleHttp(config, logger, metrics, () => ready, auth);
  await out.log.ensureTopic(topics.points, config.kafka.partitions);
  await out.log.ensureTopic(topics.anomalies, config.kafka.partitions);
  const worker = await startDetectorWorker(
    config,
    out,
    {
      topic: topics.points,
      anomaliesTopic: topics.anomalies,
      group: `${config.kafka.topicPrefix}-detector`,
      checkpointIntervalMs: config.engine.checkpointIntervalMs,
      checkpointFailed: (err) => logger.error({ err }, 'checkpoint failed; will retry'),
      configsApplied: (changed) => logger.info({ changed }, 'applied per-series configs'),
      configRefused: (seriesId, err) =>
        logger.error(
          { seriesId, err },
          'a stored per-series config is refused here; the series keeps its config',
        ),
      configPollFailed: (err) => logger.warn({ err }, 'reading per-series configs failed; will retry'),
      warmStartLog: logger,
      modelLog: logger,
      metrics: metrics.registry,
      warmStartMetrics: metrics.warmStart,
      seriesDeleted: (n) => logger.info({ series: n }, 'deleted series dropped'),
      tombstonePollFailed: (err) => logger.warn({ err }, 'reading deleted series failed; will retry'),
      feedbackPollFailed: (err) => logger.warn({ err }, 'reading feedback labels failed; will retry'),
      maintenancePollFailed: (err) => logger.warn({ err }, 'reading maintenance windows failed; will retry'),
    },
    (t) => {
      tasks = t;
    },
  );
  ready = true;
  logger.info({ url, topic: topics.points }, 'detector joined the group');
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      ready = false;
      await worker.close(); // revokes every partition: each drains and checkpoints
      await app.close();
      await out.close();
    })();
    return closing;
  };
  return {
    app,
    url,
    close,
    tasks: worker.tasks,
    tombstones: worker.tombstones,
    feedback: worker.feedback,
    models: worker.models,
  };
}
