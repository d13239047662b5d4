import { type CaseContext, nextBase, prefill, quantile, until, worker } from './kafka-case-support.ts';
import type { BenchWorker } from './kafka-worker.ts';
import { Workload, type WorkloadSpec } from './kafka-workload.ts';

export interface ThroughputCase {
  case: string;
  pointsPerMessage: number;
  messages: number;
  points: number;
  checkpointIntervalMs: number;
  /** Start of the join until the member's first assignment is active. */
  joinMs: number;
  /** Start of the join until every point is scored. */
  seconds: number;
  messagesPerSec: number;
  pointsPerSec: number;
  /** Start of the join until the checkpoint holding the last point is committed. */
  storedSeconds: number;
  storedPointsPerSec: number;
  pointsScored: number;
  rejected: number;
  checkpoints: number;
  /** How long checkpoint commits (InfluxDB, then PostgreSQL) took, ms. */
  commitP50Ms: number | null;
  commitMaxMs: number | null;
}

export async function throughputCase(
  ctx: CaseContext,
  name: string,
  pointsPerMessage: number,
  messages: number,
): Promise<ThroughputCase> {
  const { stack } = ctx;
  const topic = stack.topic(name);
  await stack.out.log.ensureTopic(topic, ctx.partitions);
  await stack.out.log.ensureTopic(stack.topic('anomalies'), ctx.partitions);
  const spec: WorkloadSpec = {
    ids: ctx.ids,
    partitions: ctx.partitions,
    pointsPerMessage,
    base: nextBase(),
    probeEvery: 0,
    warmupMessages: 0,
  };
  await prefill(ctx, topic, new Workload(spec), messages);
  const points = messages * pointsPerMessage;
  const interval = stack.config.engine.checkpointIntervalMs;

  const started = performance.now();
  const w: BenchWorker = await worker(ctx, topic, interval);
  const joinMs = performance.now() - started;
  const bar = ctx.progress(`${name}: points scored`, points);
  try {
    await until(
      ctx,
      `${name}: scoring ${points} points`,
      () => w.tasks.stats().pointsScored >= points,
      () => bar.update(w.tasks.stats().pointsScored),
    );
  } finally {
    bar.stop();
  }
  const scored = (performance.now() - started) / 1000;
  await w.flush();
  const stored = (performance.now() - started) / 1000;
  const stats = w.tasks.stats();
  await w.close();
  return {
    case: name,
    pointsPerMessage,
    messages,
    points,
    checkpointIntervalMs: interval,
    joinMs,
    seconds: scored,
    messagesPerSec: Math.round(messages / scored),
    pointsPerSec: Math.round(points / scored),
    storedSeconds: stored,
    storedPointsPerSec: Math.round(points / stored),
    pointsScored: stats.pointsScored,
    rejected: stats.rejected.duplicate + stats.rejected.too_late,
    checkpoints: stats.checkpoints,
    commitP50Ms: quantile(w.commitMs, 0.5),
    commitMaxMs: quantile(w.commitMs, 1),
  };
}
