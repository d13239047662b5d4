/**
 * Open-loop producer of `vigil bench kafka`'s latency case, run as a child process so the detector
 * worker under test keeps its event loop: `node kafka-loadgen.ts <job.json>`.
 *
 * Message `from` + i (kafka-workload.ts) is due at t0 + i/rate, whatever happened before; every millisecond
 * the messages due so far go out, one append per partition (the producer gathers concurrent appends
 * into one request, acks=all). Prints `{"t0": epochMs}` before the first message is due, then at the
 * end `{"sent", "points", "failed", "firstError", "p99LagMs", "maxLagMs"}`: messages sent, points
 * acknowledged, messages whose append failed (they may still have been stored) and the first
 * failure's message, and how late an append started
 * against its due time (the generator falling behind on a busy machine).
 */
import { readFileSync } from 'node:fs';
import { connectKafka, KafkaPartitionedLog } from '../../adapters/kafka/index.ts';
import { encodeBatch } from '../../core/point-batch-codec.ts';
import type { OutRecord } from '../../ports/partitioned-log.ts';
import { Workload, type WorkloadSpec } from './kafka-workload.ts';

export interface LoadJob {
  brokers: string[];
  clientId: string;
  topic: string;
  spec: WorkloadSpec;
  /** Messages per second. */
  rate: number;
  /** Index of the first message to send (those before it are already in the topic). */
  from: number;
  /** Messages to send (the run lasts messages / rate seconds). */
  messages: number;
}

const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadJob;
const clients = connectKafka({ brokers: job.brokers, clientId: job.clientId });
const log = new KafkaPartitionedLog(clients);
const workload = new Workload(job.spec);
workload.skip(job.from);
const end = job.from + job.messages;

// Connect to every partition's leader first: an empty batch per partition (it scores nothing).
const empty = encodeBatch({
  seriesIds: new Int32Array(0),
  ts: new Float64Array(0),
  values: new Float64Array(0),
});
await Promise.all(
  Array.from({ length: job.spec.partitions }, (_, p) =>
    log.append(job.topic, [{ partition: p, value: empty }]),
  ),
);

const t0 = Math.ceil(performance.timeOrigin + performance.now() + 100);
const start = t0 - performance.timeOrigin;
process.stdout.write(`${JSON.stringify({ t0 })}\n`);

const lags: number[] = [];
let failed = 0;
/** The first failed send's error (the others are usually the same), for the report. */
let firstError: string | null = null;
let points = 0;
const pending = new Set<Promise<void>>();
const byPartition: OutRecord[][] = Array.from({ length: job.spec.partitions }, () => []);

await new Promise<void>((done) => {
  const tick = () => {
    const now = performance.now();
    const due = Math.min(end, job.from + Math.floor(((now - start) * job.rate) / 1000) + 1);
    if (now >= start && workload.index < due) {
      lags.push(now - (start + ((workload.index - job.from) * 1000) / job.rate));
      while (workload.index < due) {
        const m = workload.next();
        byPartition[m.partition]!.push(m);
      }
      for (const records of byPartition) {
        if (records.length === 0) continue;
        const n = records.length;
        const p = log.append(job.topic, records.splice(0)).then(
          () => {
            points += n * job.spec.pointsPerMessage;
          },
          (err: unknown) => {
            failed += n;
            firstError ??= err instanceof Error ? err.message : String(err);
          },
        );
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
    }
    if (workload.index < end) setTimeout(tick, 1);
    else done();
  };
  setTimeout(tick, Math.max(0, start - performance.now()));
});
await Promise.all(pending);
await log.close();
await clients.close();

lags.sort((a, b) => a - b);
const q = (p: number) =>
  lags.length === 0 ? 0 : lags[Math.min(lags.length - 1, Math.floor(p * lags.length))]!;
process.stdout.write(
  `${JSON.stringify({ sent: workload.index - job.from, points, failed, firstError, p99LagMs: q(0.99), maxLagMs: q(1) })}\n`,
);
