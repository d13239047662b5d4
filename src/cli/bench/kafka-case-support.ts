/**
 * What the cases of `vigil bench kafka` share: their context, a fresh stretch of event time per
 * case, pre-filling a topic, waiting on a condition with a progress bar, the detector worker, and
 * the open-loop load generator (a child process) with its summary.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ELDHistogram } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { OutRecord } from '../../ports/partitioned-log.ts';
import type { LatencyCase } from './kafka-latency-case.ts';
import type { LoadJob } from './kafka-loadgen.ts';
import type { Stack } from './kafka-stack.ts';
import { startWorker, type WorkerOptions } from './kafka-worker.ts';
import type { Workload } from './kafka-workload.ts';

export const HERE = dirname(fileURLToPath(import.meta.url));

export interface Progress {
  update(value: number, note?: string): void;
  stop(): void;
}
export type ProgressFactory = (label: string, total: number) => Progress;

export interface CaseContext {
  stack: Stack;
  /** Catalog ids of the run's series. */
  ids: number[];
  partitions: number;
  timeoutMs: number;
  progress: ProgressFactory;
  warn(text: string): void;
}

// Every case gets its own stretch of event time, so points and anomalies of cases never overlap.
export const BASE_TS = Date.UTC(2026, 0, 1);
export const CASE_SPAN_MS = 10_000_000_000;
let caseNo = 0;
export const nextBase = () => BASE_TS + caseNo++ * CASE_SPAN_MS;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The p-quantile of `xs` (sorted here), null when empty. */
export function quantile(xs: number[], p: number): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Broker-side limit on one partition's record batch is 1 MiB: stay well below it per request. */
export const BYTES_PER_PARTITION_REQUEST = 512 * 1024;

/** Appends `messages` messages of `workload` to `topic`, one request per chunk. */
export async function prefill(
  ctx: CaseContext,
  topic: string,
  workload: Workload,
  messages: number,
): Promise<void> {
  if (messages <= 0) return;
  // The first message sizes the chunks (all messages of a workload have the same size).
  const first = workload.next();
  const perPartition = Math.max(1, Math.floor(BYTES_PER_PARTITION_REQUEST / (first.value.length + 70)));
  const chunk = Math.min(50_000, perPartition * ctx.partitions);
  const bar = ctx.progress(`pre-fill ${topic}`, messages);
  const log = ctx.stack.admin;
  let pending: OutRecord[][] = Array.from({ length: ctx.partitions }, () => []);
  pending[first.partition]!.push(first);
  let done = 1;
  const flush = async () => {
    const groups = pending.filter((g) => g.length > 0);
    pending = Array.from({ length: ctx.partitions }, () => []);
    // One append per partition: concurrent sends go out as one idempotent (non-transactional) request.
    await Promise.all(groups.map((g) => log.producer.send(topic, g)));
  };
  while (done < messages) {
    const m = workload.next();
    pending[m.partition]!.push(m);
    done++;
    if (done % chunk === 0) {
      await flush();
      bar.update(done);
    }
  }
  await flush();
  bar.update(done);
  bar.stop();
}

export async function until(
  ctx: CaseContext,
  what: string,
  cond: () => boolean,
  tick?: () => void,
): Promise<void> {
  const deadline = performance.now() + ctx.timeoutMs;
  let last = 0;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`${what}: not done within ${ctx.timeoutMs} ms`);
    await sleep(2);
    if (tick !== undefined && performance.now() - last > 200) {
      last = performance.now();
      tick();
    }
  }
}

export function worker(
  ctx: CaseContext,
  topic: string,
  checkpointIntervalMs: number,
  extra: Pick<WorkerOptions, 'onStored' | 'onRecords'> = {},
) {
  const { stack } = ctx;
  return startWorker(stack.config, stack.out, {
    topic,
    anomaliesTopic: stack.topic('anomalies'),
    group: `${topic}-detector`,
    checkpointIntervalMs,
    onError: (err) => ctx.warn(`checkpoint failed (retried): ${err instanceof Error ? err.message : err}`),
    ...extra,
  });
}

/** The ts of a message's first point (encodeBatch layout: [n:u32][pad:u32][ts:f64×n]…); none when empty. */
export function firstTs(value: Uint8Array): number | undefined {
  if (value.byteLength < 16) return undefined;
  return new DataView(value.buffer, value.byteOffset, 16).getFloat64(8, true);
}

/** What a case reports of its generator's run. */
export function generatorSummary(g: GeneratorRun['generator']): LatencyCase['generator'] {
  return {
    sent: g.sent,
    failed: g.failed,
    firstError: g.firstError ?? null,
    p99LagMs: g.p99LagMs,
    maxLagMs: g.maxLagMs,
  };
}

/** p99 and max of an event-loop delay histogram, in ms (null when it recorded nothing). */
export function loopDelayMs(h: ELDHistogram): {
  loopDelayP99Ms: number | null;
  loopDelayMaxMs: number | null;
} {
  return h.count > 0
    ? { loopDelayP99Ms: h.percentile(99) / 1e6, loopDelayMaxMs: h.max / 1e6 }
    : { loopDelayP99Ms: null, loopDelayMaxMs: null };
}

export type GeneratorRun = { t0: number; generator: LatencyCase['generator'] & { points: number } };

/**
 * Runs the load generator on `job` (a child process) with a progress bar of its seconds,
 * `loopDelay` measuring this thread meanwhile; resolves with its start time and summary.
 */
export async function generate(
  ctx: CaseContext,
  job: LoadJob,
  label: string,
  loopDelay: ELDHistogram,
): Promise<GeneratorRun> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-kafka-'));
  try {
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    const bar = ctx.progress(label, Math.ceil(job.messages / job.rate));
    const started = performance.now();
    const timer = setInterval(() => bar.update(Math.floor((performance.now() - started) / 1000)), 500);
    loopDelay.enable();
    try {
      return await loadgen(join(dir, 'job.json'));
    } finally {
      loopDelay.disable();
      clearInterval(timer);
      bar.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the load generator; resolves with its start time and summary. */
export function loadgen(
  jobFile: string,
): Promise<{ t0: number; generator: LatencyCase['generator'] & { points: number } }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [join(HERE, 'kafka-loadgen.ts'), jobFile], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', rej);
    child.on('exit', (code) => {
      const lines = out
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'));
      if (code !== 0 || lines.length < 2) return rej(new Error(`load generator exited ${code}`));
      const { t0 } = JSON.parse(lines[0]!) as { t0: number };
      res({ t0, generator: JSON.parse(lines[lines.length - 1]!) });
    });
  });
}
