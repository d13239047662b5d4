/**
 * Ingest's BatchSink in `vigil api`: splits a request's batch by series partition (Kafka's key
 * rule on the series key, so a series always lands on one partition) and appends the parts to the
 * ingest topic in one transaction — the request stays atomic — before acknowledging.
 */

import { partitionOf } from '../core/partitioner.ts';
import { encodeBatch } from '../core/point-batch-codec.ts';
import type { PointBatch } from '../ports/log.ts';
import type { OutRecord, PartitionedLog } from '../ports/partitioned-log.ts';
import type { BatchSink } from './ingest-service.ts';

export class PartitionedSink implements BatchSink {
  readonly #log: PartitionedLog;
  readonly #topic: string;
  readonly #partitions: number;
  readonly #partitionOfKey = new Map<string, number>();
  #inflight = 0;

  constructor(log: PartitionedLog, topic: string, partitions: number) {
    this.#log = log;
    this.#topic = topic;
    this.#partitions = partitions;
  }

  /** Points handed to Kafka and not yet acknowledged (what backpressure watches here). */
  get lagPoints(): number {
    return this.#inflight;
  }

  async submit(batch: PointBatch, keys: readonly string[]): Promise<void> {
    const n = batch.seriesIds.length;
    const part = new Int32Array(n);
    const counts = new Int32Array(this.#partitions);
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      let p = this.#partitionOfKey.get(k);
      if (p === undefined) {
        p = partitionOf(k, this.#partitions);
        this.#partitionOfKey.set(k, p);
      }
      part[i] = p;
      counts[p]!++;
    }
    const records: OutRecord[] = [];
    for (let p = 0; p < this.#partitions; p++) {
      const m = counts[p]!;
      if (m === 0) continue;
      const sub: PointBatch = {
        seriesIds: new Int32Array(m),
        ts: new Float64Array(m),
        values: new Float64Array(m),
      };
      for (let i = 0, j = 0; i < n; i++) {
        if (part[i] !== p) continue;
        sub.seriesIds[j] = batch.seriesIds[i]!;
        sub.ts[j] = batch.ts[i]!;
        sub.values[j] = batch.values[i]!;
        j++;
      }
      records.push({ partition: p, value: encodeBatch(sub) });
    }
    this.#inflight += n;
    try {
      await this.#log.append(this.#topic, records);
    } finally {
      this.#inflight -= n;
    }
  }
}
