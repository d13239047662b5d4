/**
 * Composition root of `vigil processor`: a member of the processor consumer group on the ingest
 * topic; validates, drops duplicates and too-late points (the engine's own rule) and publishes the
 * clean points to the same partition of the points topic.
 */

import { MemoryCache } from '../adapters/memory/cache.ts';
import type { Config } from '../config/schema.ts';
import { authWiring } from './auth-wiring.ts';
import { openScaledOut, topicsOf } from './backends.ts';
import type { RoleHandle } from './detector.ts';
import { createMetrics } from './metrics.ts';
import { ProcessorTasks } from './processor-tasks.ts';
import { roleHttp, roleLogger } from './role-server.ts';

export async function startProcessor(
  config: Readonly<Config>,
): Promise<RoleHandle & { tasks: ProcessorTasks }> {
  const logger = roleLogger(config, 'processor');
  const out = await openScaledOut(config, logger);
  const topics = topicsOf(config);
  const tasks = new ProcessorTasks(out.log, topics.points, config.engine.allowedLatenessMs);
  let ready = false;
  const metrics = createMetrics({
    stats: () => ({
      pointsAccepted: tasks.stats.pointsIn,
      pointsScored: 0,
      pointsLate: 0,
      pointsLearningPaused: 0,
      anomaliesOpened: 0,
      rejected: { too_late: tasks.stats.rejected.too_late, duplicate: tasks.stats.rejected.duplicate },
      checkpoints: 0,
      lastCheckpointMs: 0,
    }),
    lagPoints: () => 0,
    seriesCount: () => tasks.seriesCount,
  });
  // Only /metrics needs a key here; failed attempts are counted per process.
  const { auth } = await authWiring(config, out.apiKeys, new MemoryCache(), logger);
  const { app, url } = await roleHttp(config, logger, metrics, () => ready, auth);
  await out.log.ensureTopic(topics.ingest, config.kafka.partitions);
  await out.log.ensureTopic(topics.points, config.kafka.partitions);
  const membership = await out.log.join(`${config.kafka.topicPrefix}-processor`, topics.ingest, tasks);
  tasks.attach(membership);
  ready = true;
  logger.info({ url, from: topics.ingest, to: topics.points }, 'processor joined the group');
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      ready = false;
      await membership.close();
      await app.close();
      await out.close();
    })();
    return closing;
  };
  return { app, url, close, tasks };
}
