/**
 * The deterministic message stream of `vigil bench kafka`, shared by the pre-fill (in the bench
 * process) and the open-loop load generator (a child process): message i is the same bytes in both.
 *
 * - Series: `bench_kafka{series="s<n>"}`, registered in the catalog; each lives on the partition
 *   PartitionedSink would put it on (Kafka's key rule on the series key).
 * - A message holds `pointsPerMessage` points of series of ONE partition (as a record of the points
 *   topic does). 1-point messages take the series round robin; larger ones take the next points of
 *   their partition's series, round robin over the partitions.
 * - Point j of message i has ts = base + i·pointsPerMessage + j: unique and increasing per series,
 *   so nothing is rejected as late or duplicate, and an anomaly's start ts names its message.
 * - Values are uniform in [9, 11] (a bounded noise the EWMA z-score never flags); a probe message
 *   (every `probeEvery`-th one, after the warm-up) carries a spike of 1000 as its first point, which
 *   opens an anomaly on that point.
 */

import { partitionOf } from '../../core/partitioner.ts';
import { encodeBatch } from '../../core/point-batch-codec.ts';
import { seriesKey } from '../../core/series.ts';
import type { PointBatch } from '../../ports/log.ts';

export const BENCH_METRIC = 'bench_kafka';
export const SPIKE = 1000;

/** What the load generator needs to rebuild the stream (JSON-serialisable). */
export interface WorkloadSpec {
  /** Catalog id of each series, by series index. */
  ids: number[];
  partitions: number;
  pointsPerMessage: number;
  /** ts of the first point. */
  base: number;
  /** Every n-th message after `warmupMessages` is a probe (0: none). */
  probeEvery: number;
  warmupMessages: number;
}

export const seriesKeyOf = (n: number): string => seriesKey(BENCH_METRIC, { series: `s${n}` });

export interface Message {
  partition: number;
  value: Uint8Array;
}

export class Workload {
  readonly spec: WorkloadSpec;
  /** Series indexes of each partition. */
  readonly #byPartition: number[][];
  readonly #partitionOfSeries: Int32Array;
  /** Next position in each partition's series list (messages of more than one point). */
  readonly #cursor: Int32Array;
  #next = 0;

  constructor(spec: WorkloadSpec) {
    this.spec = spec;
    const n = spec.ids.length;
    this.#partitionOfSeries = new Int32Array(n);
    this.#byPartition = Array.from({ length: spec.partitions }, () => []);
    for (let s = 0; s < n; s++) {
      const p = partitionOf(seriesKeyOf(s), spec.partitions);
      this.#partitionOfSeries[s] = p;
      this.#byPartition[p]!.push(s);
    }
    this.#cursor = new Int32Array(spec.partitions);
  }

  /** Index of the message `next()` returns. */
  get index(): number {
    return this.#next;
  }

  isProbe(i: number): boolean {
    const { probeEvery, warmupMessages } = this.spec;
    return probeEvery > 0 && i >= warmupMessages && (i - warmupMessages) % probeEvery === 0;
  }

  /** The message whose point carries `ts`, when that point is a probe's spike; else -1. */
  probeOf(ts: number): number {
    const k = ts - this.spec.base;
    if (k < 0 || k % this.spec.pointsPerMessage !== 0) return -1;
    const i = k / this.spec.pointsPerMessage;
    return this.isProbe(i) ? i : -1;
  }

  /** Moves past `n` messages without building them (what another process already sent). */
  skip(n: number): void {
    const m = this.spec.pointsPerMessage;
    if (m === 1) {
      this.#next += n;
      return;
    }
    for (let k = 0; k < n; k++) {
      const p = this.#partitionOfMessage(this.#next++);
      this.#cursor[p] = (this.#cursor[p]! + m) % this.#byPartition[p]!.length;
    }
  }

  /** The partition of message i of more than one point: round robin over those with series. */
  #partitionOfMessage(i: number): number {
    let p = i % this.spec.partitions;
    while (this.#byPartition[p]!.length === 0) p = (p + 1) % this.spec.partitions;
    return p;
  }

  /** Messages in order; one `Workload` instance yields each message once. */
  next(): Message {
    const i = this.#next++;
    const { ids, pointsPerMessage: m, base } = this.spec;
    const batch: PointBatch = {
      seriesIds: new Int32Array(m),
      ts: new Float64Array(m),
      values: new Float64Array(m),
    };
    let partition: number;
    if (m === 1) {
      const s = i % ids.length;
      partition = this.#partitionOfSeries[s]!;
      batch.seriesIds[0] = ids[s]!;
    } else {
      partition = this.#partitionOfMessage(i);
      const list = this.#byPartition[partition]!;
      let c = this.#cursor[partition]!;
      for (let j = 0; j < m; j++) {
        batch.seriesIds[j] = ids[list[c]!]!;
        c = c + 1 === list.length ? 0 : c + 1;
      }
      this.#cursor[partition] = c;
    }
    for (let j = 0; j < m; j++) {
      const k = i * m + j;
      batch.ts[j] = base + k;
      batch.values[j] = 9 + 2 * unit(k);
    }
    if (this.isProbe(i)) batch.values[0] = SPIKE;
    return { partition, value: encodeBatch(batch) };
  }
}

/** A deterministic uniform number in [0, 1) from an integer (an integer hash, not a PRNG stream). */
function unit(k: number): number {
  let h = Math.imul(k ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}
