/**
 * The deployment's sustained end-to-end rate: the highest rate of 1-point messages at which one
 * detector worker scores every point AND stores it (its checkpoint committed to InfluxDB and
 * PostgreSQL) with no growing lag. Each step runs the open-loop generator (kafka-loadgen.ts) at
 * one rate for `seconds` into a fresh topic read by a fresh worker (default checkpoint interval),
 * sampling twice a second how far scoring and storing trail what was due. A step holds when
 * - the generator produced the rate (no failed send, its own lag p99 under 1 s),
 * - the stored lag did not grow: its peak over the second half of the run is at most its peak over
 *   the first half + half a second of the rate (a worker that stores 95 % of what comes in falls
 *   half a second further behind every 10 s). Peaks, not a fitted slope: with staggered
 *   checkpoints every interval the stored count climbs in steps, and a slope fitted over two
 *   intervals reads the steps' phase as growth; and
 * - once the generator stops, the rest is stored within the checkpoint interval + 5 s.
 * The search starts at `from`, multiplies by 1.5 while steps hold, then halves the gap between the
 * best that held and the lowest that did not, `steps` runs in all.
 */

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { listOf } from '../../config/schema.ts';
import { type CaseContext, generate, nextBase, until, worker } from './kafka-case-support.ts';
import type { LoadJob } from './kafka-loadgen.ts';
import type { WorkloadSpec } from './kafka-workload.ts';

export interface SustainedStep {
  messagesPerSec: number;
  seconds: number;
  sent: number;
  failed: number;
  generatorP99LagMs: number;
  /** Least-squares slope of the stored lag (due − stored points) over the run's second half, points/s. */
  storedLagSlope: number;
  /** The same for the scored lag. */
  scoredLagSlope: number;
  /** Stored lag at the end of the run (points due but not yet stored), and its largest value. */
  storedLagEnd: number;
  storedLagMax: number;
  /** Largest stored lag over the first and the second half of the run. */
  storedLagPeakFirstHalf: number;
  storedLagPeakSecondHalf: number;
  /** From the generator's end until every sent point was stored, s (null: not within the bound). */
  drainSeconds: number | null;
  held: boolean;
  /** Why it did not hold. */
  why: string | null;
}

export interface SustainedCase {
  case: 'sustained';
  /** The highest rate that held (0: none did), messages/s = points/s. */
  sustainedMessagesPerSec: number;
  checkpointIntervalMs: number;
  steps: SustainedStep[];
}

interface Sample {
  at: number;
  scored: number;
  stored: number;
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function step(ctx: CaseContext, rate: number, seconds: number, n: number): Promise<SustainedStep> {
  const { stack } = ctx;
  const topic = stack.topic(`sustained-${n}`);
  await stack.out.log.ensureTopic(topic, ctx.partitions);
  await stack.out.log.ensureTopic(stack.topic('anomalies'), ctx.partitions);
  const interval = stack.config.engine.checkpointIntervalMs;
  const spec: WorkloadSpec = {
    ids: ctx.ids,
    partitions: ctx.partitions,
    pointsPerMessage: 1,
    base: nextBase(),
    probeEvery: 0,
    warmupMessages: 0,
  };
  const w = await worker(ctx, topic, interval);
  const samples: Sample[] = [];
  const sample = () =>
    samples.push({
      at: performance.timeOrigin + performance.now(),
      scored: w.tasks.stats().pointsScored,
      stored: w.storedPoints(),
    });
  const timer = setInterval(sample, 500);
  let drainSeconds: number | null = null;
  let run: Awaited<ReturnType<typeof generate>>;
  try {
    const job: LoadJob = {
      brokers: listOf(stack.config.kafka.brokers),
      clientId: `${stack.config.kafka.clientId}-sustained`,
      topic,
      spec,
      rate,
      from: 0,
      messages: Math.round(rate * seconds),
    };
    run = await generate(
      ctx,
      job,
      `sustained step ${n + 1} at ${rate} messages/s: seconds`,
      monitorEventLoopDelay({ resolution: 10 }),
    );
    clearInterval(timer);
    const ended = performance.now();
    const boundMs = interval + 5_000;
    await until({ ...ctx, timeoutMs: boundMs }, `sustained at ${rate}: storing`, () => {
      return w.storedPoints() >= run.generator.points;
    }).then(
      () => {
        drainSeconds = (performance.now() - ended) / 1000;
      },
      () => {},
    );
  } finally {
    clearInterval(timer);
    await w.close();
  }
  const { t0, generator } = run;
  const total = generator.sent;
  const due = (at: number) => Math.max(0, Math.min(total, (rate * (at - t0)) / 1000));
  const half = samples.filter((s) => s.at >= t0 + (seconds * 1000) / 2 && s.at <= t0 + seconds * 1000);
  const xs = half.map((s) => (s.at - t0) / 1000);
  const storedLag = samples.map((s) => due(s.at) - s.stored);
  const storedLagSlope = slope(
    xs,
    half.map((s) => due(s.at) - s.stored),
  );
  const scoredLagSlope = slope(
    xs,
    half.map((s) => due(s.at) - s.scored),
  );
  const mid = t0 + (seconds * 1000) / 2;
  const peak = (from: number, to: number) =>
    Math.max(0, ...samples.filter((s) => s.at >= from && s.at < to).map((s) => due(s.at) - s.stored));
  const firstPeak = peak(t0, mid);
  const secondPeak = peak(mid, t0 + seconds * 1000);
  const whys: string[] = [];
  if (generator.failed > 0) whys.push(`${generator.failed} sends failed`);
  if (generator.p99LagMs > 1_000) whys.push(`the generator fell ${Math.round(generator.p99LagMs)} ms behind`);
  if (secondPeak > firstPeak + 0.5 * rate)
    whys.push(`stored lag grew: peak ${Math.round(firstPeak)} then ${Math.round(secondPeak)} points`);
  if (drainSeconds === null) whys.push(`not all stored within ${(interval + 5_000) / 1000} s of the end`);
  return {
    messagesPerSec: rate,
    seconds,
    sent: total,
    failed: generator.failed,
    generatorP99LagMs: generator.p99LagMs,
    storedLagSlope: Math.round(storedLagSlope),
    scoredLagSlope: Math.round(scoredLagSlope),
    storedLagEnd: Math.round(storedLag[storedLag.length - 1] ?? 0),
    storedLagMax: Math.round(Math.max(0, ...storedLag)),
    storedLagPeakFirstHalf: Math.round(firstPeak),
    storedLagPeakSecondHalf: Math.round(secondPeak),
    drainSeconds,
    held: whys.length === 0,
    why: whys.length === 0 ? null : whys.join('; '),
  };
}

export async function sustainedCase(
  ctx: CaseContext,
  o: { from: number; seconds: number; steps: number; report(s: SustainedStep, n: number): void },
): Promise<SustainedCase> {
  const steps: SustainedStep[] = [];
  let best = 0;
  let failedAt = Number.POSITIVE_INFINITY;
  let rate = Math.max(100, o.from);
  for (let n = 0; n < o.steps; n++) {
    const s = await step(ctx, rate, o.seconds, n);
    steps.push(s);
    o.report(s, n + 1);
    if (s.held) best = Math.max(best, rate);
    else failedAt = Math.min(failedAt, rate);
    const next = Number.isFinite(failedAt)
      ? best === 0
        ? Math.round(failedAt / 2)
        : Math.round((best + failedAt) / 2)
      : Math.round(rate * 1.5);
    // Nothing left to learn within 5 %.
    if (Number.isFinite(failedAt) && best > 0 && (failedAt - best) / best < 0.05) break;
    rate = next;
  }
  return {
    case: 'sustained',
    sustainedMessagesPerSec: best,
    checkpointIntervalMs: ctx.stack.config.engine.checkpointIntervalMs,
    steps,
  };
}
