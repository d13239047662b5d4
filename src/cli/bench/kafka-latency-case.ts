import { monitorEventLoopDelay } from 'node:perf_hooks';
import { listOf } from '../../config/schema.ts';
import {
  type CaseContext,
  firstTs,
  generate,
  generatorSummary,
  loopDelayMs,
  nextBase,
  prefill,
  quantile,
  until,
  worker,
} from './kafka-case-support.ts';
import type { LoadJob } from './kafka-loadgen.ts';
import { Workload, type WorkloadSpec } from './kafka-workload.ts';

export interface LatencyCase {
  case: string;
  checkpointIntervalMs: number;
  pointsPerMessage: number;
  atMessagesPerSec: number;
  atPointsPerSec: number;
  /** Measured part of the run (after the warm-up). */
  seconds: number;
  /** Messages pre-filled (and scored) before the timed part, so every series is past its warm-up. */
  warmupMessages: number;
  probes: number;
  measured: number;
  missed: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** The Kafka part alone: due time → the worker's records handler, ms. */
  deliveredP50Ms: number | null;
  deliveredP99Ms: number | null;
  /**
   * Inside the worker: the records handler → the start of the PostgreSQL write that stores the
   * spike's anomaly (scoring, the outbox, waiting for the round before).
   */
  toStoreP50Ms: number | null;
  toStoreP99Ms: number | null;
  /** Checkpoint commits (InfluxDB, then PostgreSQL) during the run, ms. */
  commitP50Ms: number | null;
  commitP99Ms: number | null;
  /** PostgreSQL writes of anomaly changes (the alert path, outside the checkpoints). */
  anomalyWriteP50Ms: number | null;
  anomalyWriteP99Ms: number | null;
  /** The worker's event-loop delay while the generator ran (perf_hooks, 10 ms resolution). */
  loopDelayP99Ms: number | null;
  loopDelayMaxMs: number | null;
  generator: {
    sent: number;
    failed: number;
    /** The first failed send's error message; null when none failed. */
    firstError: string | null;
    p99LagMs: number;
    maxLagMs: number;
  };
  /** False when the generator's sends failed (the machine could not produce the rate). */
  valid: boolean;
  pointsProduced: number;
  pointsScored: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export interface LatencyOptions {
  name: string;
  checkpointIntervalMs: number;
  pointsPerMessage: number;
  /** Messages per second. */
  rate: number;
  seconds: number;
  /** Spikes per second to aim for. */
  probesPerSec: number;
}

export async function latencyCase(ctx: CaseContext, o: LatencyOptions): Promise<LatencyCase> {
  const { stack } = ctx;
  const topic = stack.topic(`${o.name}-${o.checkpointIntervalMs}ms`);
  await stack.out.log.ensureTopic(topic, ctx.partitions);
  await stack.out.log.ensureTopic(stack.topic('anomalies'), ctx.partitions);
  const series = ctx.ids.length;
  // Each series needs the detector's warm-up (EWMA: 20 points) before a spike can score: 25 points
  // each, pre-filled at full speed and scored before the timed part starts.
  const warmupMessages = Math.ceil((25 * series) / o.pointsPerMessage);
  // Probes step through the series (coprime step): no series is spiked twice in a row.
  let probeEvery = Math.max(1, Math.round(o.rate / o.probesPerSec));
  while (o.pointsPerMessage === 1 && gcd(probeEvery, series) !== 1) probeEvery++;
  const spec: WorkloadSpec = {
    ids: ctx.ids,
    partitions: ctx.partitions,
    pointsPerMessage: o.pointsPerMessage,
    base: nextBase(),
    probeEvery,
    warmupMessages,
  };
  const workload = new Workload(spec);
  const messages = Math.round(o.rate * o.seconds);
  const stored = new Map<number, number>();
  const delivered = new Map<number, number>();
  const storeStarted = new Map<number, number>();
  const w = await worker(ctx, topic, o.checkpointIntervalMs, {
    onRecords: (records, at) => {
      for (const r of records) {
        // A probe's spike is its message's first point.
        const ts = firstTs(r.value);
        if (ts === undefined) continue;
        const i = workload.probeOf(ts);
        if (i >= 0) delivered.set(i, at);
      }
    },
    onStored: (anomalies, at, writeMs) => {
      for (const a of anomalies) {
        // A run that an earlier spike of the series opened ends at this spike.
        for (const ts of [a.start, a.end]) {
          const i = workload.probeOf(ts);
          if (i >= 0 && !stored.has(i)) {
            stored.set(i, at);
            storeStarted.set(i, at - writeMs);
          }
        }
      }
    },
  });
  const warm = warmupMessages * o.pointsPerMessage;
  // How long the worker's thread was busy between turns while the generator ran (10 ms buckets).
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  let generator: LatencyCase['generator'] & { points: number };
  let t0: number;
  try {
    await prefill(ctx, topic, new Workload(spec), warmupMessages);
    await until(ctx, `${o.name}: scoring the warm-up`, () => w.tasks.stats().pointsScored >= warm);
    await w.flush();
    w.commitMs.length = 0; // the warm-up's big commits are not what the timed part sees
    w.anomalyWriteMs.length = 0;
    const job: LoadJob = {
      brokers: listOf(stack.config.kafka.brokers),
      clientId: `${stack.config.kafka.clientId}-loadgen`,
      topic,
      spec,
      rate: o.rate,
      from: warmupMessages,
      messages,
    };
    ({ t0, generator } = await generate(
      ctx,
      job,
      `${o.name} (checkpoint ${o.checkpointIntervalMs} ms): seconds`,
      loopDelay,
    ));
    const left = ctx.progress(`${o.name}: points scored after the generator finished`, generator.points);
    try {
      await until(
        ctx,
        `${o.name}: scoring ${generator.points} points`,
        () => w.tasks.stats().pointsScored >= warm + generator.points,
        () => left.update(w.tasks.stats().pointsScored - warm),
      );
    } finally {
      left.stop();
    }
    await w.flush();
  } finally {
    await w.close();
  }
  const latencies: number[] = [];
  const kafka: number[] = [];
  const toStore: number[] = [];
  let probes = 0;
  for (let i = warmupMessages; i < warmupMessages + generator.sent; i++) {
    if (!workload.isProbe(i)) continue;
    probes++;
    const due = t0 + ((i - warmupMessages) * 1000) / o.rate;
    const at = stored.get(i);
    if (at !== undefined) latencies.push(at - due);
    const got = delivered.get(i);
    if (got !== undefined) kafka.push(got - due);
    const began = storeStarted.get(i);
    if (got !== undefined && began !== undefined) toStore.push(began - got);
  }
  const q = (p: number) => quantile(latencies, p);
  return {
    case: o.name,
    checkpointIntervalMs: o.checkpointIntervalMs,
    pointsPerMessage: o.pointsPerMessage,
    atMessagesPerSec: o.rate,
    atPointsPerSec: o.rate * o.pointsPerMessage,
    seconds: o.seconds,
    warmupMessages,
    probes,
    measured: latencies.length,
    missed: probes - latencies.length,
    p50Ms: q(0.5),
    p90Ms: q(0.9),
    p99Ms: q(0.99),
    maxMs: q(1),
    deliveredP50Ms: quantile(kafka, 0.5),
    deliveredP99Ms: quantile(kafka, 0.99),
    toStoreP50Ms: quantile(toStore, 0.5),
    toStoreP99Ms: quantile(toStore, 0.99),
    commitP50Ms: quantile(w.commitMs, 0.5),
    commitP99Ms: quantile(w.commitMs, 0.99),
    anomalyWriteP50Ms: quantile(w.anomalyWriteMs, 0.5),
    anomalyWriteP99Ms: quantile(w.anomalyWriteMs, 0.99),
    ...loopDelayMs(loopDelay),
    generator: generatorSummary(generator),
    pointsProduced: generator.points,
    pointsScored: w.tasks.stats().pointsScored - warm,
    // Sends that failed mean the generator did not produce the rate: the latencies are not of it.
    valid: generator.failed === 0,
  };
}

/**
 * The Kafka leg alone, as the latency case's spikes travel it but with nothing else in the way:
 * the same generator (1-point messages, open loop, one append per partition per millisecond,
 * acks=all) and a group member on the same adapter whose handler only notes the time each record
 * arrives — no engine, no checkpoints, no stores. What the latency case's `kafka` column cannot
 * show: how much of an anomaly's latency the brokers and clients take on this machine by
 * themselves. Every message counts (from its due time to its handler), except those due in the
 * first `skipSeconds`, which see the new topic's first appends and fetches.
 */
export interface TransportCase {
  case: 'transport';
  transportMessagesPerSec: number;
  seconds: number;
  skipSeconds: number;
  /** Messages due after the skipped start that reached the handler, of those sent. */
  measured: number;
  sent: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  maxMs: number | null;
  /** Event-loop delay of the process holding the group member (it does nothing else). */
  loopDelayP99Ms: number | null;
  loopDelayMaxMs: number | null;
  generator: LatencyCase['generator'];
  valid: boolean;
}

export async function transportCase(
  ctx: CaseContext,
  o: { rate: number; seconds: number; skipSeconds: number },
): Promise<TransportCase> {
  const { stack } = ctx;
  const topic = stack.topic('transport');
  await stack.out.log.ensureTopic(topic, ctx.partitions);
  const spec: WorkloadSpec = {
    ids: ctx.ids,
    partitions: ctx.partitions,
    pointsPerMessage: 1,
    base: nextBase(),
    probeEvery: 0,
    warmupMessages: 0,
  };
  const messages = Math.round(o.rate * o.seconds);
  // Arrival time of message i (its point's ts is base + i); NaN until it arrives.
  const arrived = new Float64Array(messages).fill(Number.NaN);
  let received = 0;
  const membership = await stack.out.log.join(`${topic}-transport`, topic, {
    assigned: async () => {},
    startOffset: async () => undefined,
    records: async (_p, records) => {
      const at = performance.timeOrigin + performance.now();
      for (const r of records) {
        const ts = firstTs(r.value);
        if (ts === undefined) continue; // the generator's empty connecting batches
        const i = ts - spec.base;
        if (i >= 0 && i < messages && Number.isNaN(arrived[i]!)) {
          arrived[i] = at;
          received++;
        }
      }
    },
    revoked: async () => {},
  });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  let t0: number;
  let generator: LatencyCase['generator'] & { points: number };
  try {
    const job: LoadJob = {
      brokers: listOf(stack.config.kafka.brokers),
      clientId: `${stack.config.kafka.clientId}-transport`,
      topic,
      spec,
      rate: o.rate,
      from: 0,
      messages,
    };
    ({ t0, generator } = await generate(ctx, job, `transport at ${o.rate} messages/s: seconds`, loopDelay));
    // What was acknowledged is readable: wait for it (bounded; what never arrives is reported).
    await until(
      { ...ctx, timeoutMs: Math.min(ctx.timeoutMs, 30_000) },
      `transport: receiving ${generator.sent} messages`,
      () => received >= generator.sent - generator.failed,
    ).catch((err: unknown) => ctx.warn(`transport: ${err instanceof Error ? err.message : String(err)}`));
  } finally {
    await membership.close();
  }
  const from = Math.ceil(o.skipSeconds * o.rate);
  const latencies: number[] = [];
  for (let i = from; i < generator.sent; i++) {
    const at = arrived[i]!;
    if (!Number.isNaN(at)) latencies.push(at - (t0 + (i * 1000) / o.rate));
  }
  return {
    case: 'transport',
    transportMessagesPerSec: o.rate,
    seconds: o.seconds,
    skipSeconds: o.skipSeconds,
    measured: latencies.length,
    sent: Math.max(0, generator.sent - from),
    p50Ms: quantile(latencies, 0.5),
    p90Ms: quantile(latencies, 0.9),
    p99Ms: quantile(latencies, 0.99),
    p999Ms: quantile(latencies, 0.999),
    maxMs: quantile(latencies, 1),
    ...loopDelayMs(loopDelay),
    generator: generatorSummary(generator),
    valid: generator.failed === 0,
  };
}
