/**
 * The Log port on one Kafka topic-partition. Each PointBatch is one record (the SQLite adapter's
 * columnar batch encoding); log offset = Kafka offset + 1, so log offset 0 keeps meaning "nothing"
 * and `read(after)` starts at Kafka offset `after`. All state lives in Kafka: a new instance on
 * the same topic-partition (a restart) sees the same entries and offsets.
 *
 * The partition MUST have this log as its only writer and be written without transactions: then
 * offsets are consecutive, as the port promises. `truncate` is Kafka's DeleteRecords (the log start
 * offset moves up; the offsets of later entries do not change).
 */

import { decodeBatch, encodeBatch } from '../../core/point-batch-codec.ts';
import type { Log, LogEntry, PointBatch } from '../../ports/log.ts';
import { isOutOfRange, type PartitionReader } from './partition-reader.ts';
import type { KafkaProducer } from './producer.ts';

export class KafkaPartitionLog implements Log {
  readonly #producer: KafkaProducer;
  readonly #reader: PartitionReader;
  readonly #topic: string;
  readonly #partition: number;

  /** The producer and reader are shared and owned by the caller (they outlive the log). */
  constructor(producer: KafkaProducer, reader: PartitionReader, topic: string, partition: number) {
    this.#producer = producer;
    this.#reader = reader;
    this.#topic = topic;
    this.#partition = partition;
  }

  async append(batches: readonly PointBatch[]): Promise<number[]> {
    if (batches.length === 0) return [];
    const produced = await this.#producer.send(
      this.#topic,
      batches.map((b) => ({ partition: this.#partition, value: encodeBatch(b) })),
    );
    return produced.map((p) => p.offset + 1);
  }

  async read(after: number, limit: number): Promise<LogEntry[]> {
    if (limit <= 0) return [];
    let from = after;
    const out: LogEntry[] = [];
    while (out.length < limit) {
      let got: Awaited<ReturnType<PartitionReader['fetch']>>;
      try {
        got = await this.#reader.fetch(this.#topic, this.#partition, from);
      } catch (err) {
        if (!isOutOfRange(err)) throw err;
        // Below the log start (truncated entries) read from the start; at or past the end: done.
        const { start, end } = await this.#reader.bounds(this.#topic, this.#partition);
        if (from >= end) break;
        if (from >= start) throw err;
        from = start;
        continue;
      }
      for (const r of got.records) {
        if (out.length === limit) break;
        out.push({ offset: r.offset + 1, batch: decodeBatch(plainBytes(r.value)) });
      }
      // An empty fetch that does not move forward means the end of the committed log.
      if (got.next <= from) break;
      from = got.next;
    }
    return out;
  }

  async endOffset(): Promise<number> {
    return (await this.#reader.bounds(this.#topic, this.#partition)).end;
  }

  async truncate(upTo: number): Promise<void> {
    if (upTo <= 0) return;
    // Entries ≤ upTo are Kafka offsets < upTo. DeleteRecords refuses offsets past the end.
    const { start, end } = await this.#reader.bounds(this.#topic, this.#partition);
    const before = Math.min(upTo, end);
    if (before > start) await this.#reader.deleteBefore(this.#topic, this.#partition, before);
  }
}

/**
 * A plain Uint8Array view of a Buffer: `decodeBatch` copies with `slice()`, which on a Buffer
 * returns a view into the client's shared receive buffer instead of a copy.
 */
export function plainBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
