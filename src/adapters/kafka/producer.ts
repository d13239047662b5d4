/**
 * A batching producer: `send` resolves once its records are acknowledged by all in-sync replicas
 * (acks=all; with the topics' min.insync.replicas=2 that is at least two brokers), with each
 * record's partition and offset.
 *
 * Batching: sends that arrive within `lingerMs`, or while the previous request is in flight, go
 * out together as one produce request (one record batch per partition). One request is in flight
 * at a time, which keeps the records of one partition in the order their sends were called.
 * A request takes whole sends, in order, while each partition's record batch stays within
 * MAX_BATCH_BYTES; the rest wait for the next request. (Brokers refuse a record batch above
 * `message.max.bytes`, 1 MiB by default: without the bound, sends that piled up behind a slow
 * request went out as one batch too big to store, failed together, and the next pile was bigger.)
 * A send that is bigger by itself goes alone, and the broker's refusal is its error.
 *
 * Idempotence: the producer has a producer id and numbers its batches, so the broker drops a batch
 * the client re-sends after a lost reply: retries inside one `send` never duplicate. A `send` that
 * fails (VIGIL_ERR_UNAVAILABLE after `unavailableAfterMs`) may still have been written; re-sending
 * it is at-least-once.
 *
 * Transactional mode (`transactional: true`): each request runs in its own transaction, so all the
 * records of a request (and so of every `send` in it) become visible to read-committed consumers
 * together or not at all. Offsets then have gaps (each commit writes a marker record).
 */
import { Producer } from '@platformatic/kafka';
import { murmur2 } from '../../core/partitioner.ts';
import { clientOptions, toVigilError } from './client.ts';
import type { ResolvedKafkaConfig } from './config.ts';

export interface ProduceRecord {
  /** Target partition; when absent, the partition of `key` by Kafka's rule (murmur2), else 0. */
  partition?: number;
  key?: Uint8Array;
  value: Uint8Array;
}

export interface Produced {
  partition: number;
  offset: number;
}

/** The slice of the client's producer this file calls. */
type ProducerClient = Pick<Producer, 'send' | 'beginTransaction' | 'metadata' | 'close'>;

interface Pending {
  topic: string;
  records: readonly ProduceRecord[];
  partitions: number[];
  resolve: (offsets: Produced[]) => void;
  reject: (err: unknown) => void;
}

/** Bound on one partition's record batch in a request: half the brokers' default message.max.bytes. */
export const MAX_BATCH_BYTES = 512 * 1024;
/** Bytes a record adds to its batch beyond key and value (headers, varints, a bound). */
const RECORD_OVERHEAD_BYTES = 70;

export class KafkaProducer {
  readonly #client: ProducerClient;
  readonly #lingerMs: number;
  readonly #transactional: boolean;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  #inFlight: Promise<void> | null = null;
  #closed = false;

  constructor(config: ResolvedKafkaConfig, opts: { transactional?: boolean } = {}) {
    this.#transactional = opts.transactional === true;
    this.#lingerMs = config.lingerMs;
    this.#client = new Producer({
      ...clientOptions(config, this.#transactional ? 'tx-producer' : 'producer'),
      idempotent: true,
      acks: -1,
    });
  }

  /** Appends `records` to `topic`; resolves with their partitions and offsets, in order. */
  async send(topic: string, records: readonly ProduceRecord[]): Promise<Produced[]> {
    if (this.#closed) throw toVigilError(new Error('producer closed'), `send to ${topic}`);
    if (records.length === 0) return [];
    const partitions = await this.#partitionsOf(topic, records);
    return new Promise<Produced[]>((resolve, reject) => {
      this.#queue.push({ topic, records, partitions, resolve, reject });
      this.#schedule();
    });
  }

  /** Waits for queued sends, then closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#inFlight !== null || this.#queue.length > 0) {
      if (this.#inFlight === null) this.#flushNow();
      await this.#inFlight;
    }
    await this.#client.close();
  }

  #schedule(): void {
    if (this.#timer !== null || this.#inFlight !== null) return;
    const run = () => {
      this.#timer = null;
      this.#flushNow();
    };
    this.#timer = this.#lingerMs > 0 ? setTimeout(run, this.#lingerMs) : setImmediate(run);
  }

  #flushNow(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = null;
    }
    if (this.#queue.length === 0) return;
    const batch = this.#take();
    this.#inFlight = this.#produce(batch).finally(() => {
      this.#inFlight = null;
      // What queued meanwhile has waited at least as long as a linger: send it right away.
      if (this.#queue.length > 0) this.#flushNow();
    });
  }

  /** The sends of the next request: the longest prefix of the queue within MAX_BATCH_BYTES per partition. */
  #take(): Pending[] {
    const used = new Map<string, Map<number, number>>();
    let n = 0;
    for (; n < this.#queue.length; n++) {
      const p = this.#queue[n]!;
      let byPartition = used.get(p.topic);
      if (byPartition === undefined) {
        byPartition = new Map();
        used.set(p.topic, byPartition);
      }
      let over = false;
      for (let k = 0; k < p.records.length; k++) {
        const r = p.records[k]!;
        const partition = p.partitions[k]!;
        const total =
          (byPartition.get(partition) ?? 0) +
          r.value.byteLength +
          (r.key?.byteLength ?? 0) +
          RECORD_OVERHEAD_BYTES;
        byPartition.set(partition, total);
        if (total > MAX_BATCH_BYTES) over = true;
      }
      // The first send always goes, even alone over the bound (so n ≥ 1).
      if (over && n > 0) break;
    }
    return this.#queue.splice(0, n);
  }

  async #produce(batch: Pending[]): Promise<void> {
    const messages = [];
    for (const p of batch) {
      for (let i = 0; i < p.records.length; i++) {
        const r = p.records[i]!;
        messages.push({
          topic: p.topic,
          partition: p.partitions[i]!,
          key: r.key === undefined ? undefined : asBuffer(r.key),
          value: asBuffer(r.value),
        });
      }
    }
    let baseOffsets: Map<string, bigint>;
    try {
      const result = await this.#sendAll(messages);
      baseOffsets = new Map((result.offsets ?? []).map((o) => [`${o.topic}\0${o.partition}`, o.offset]));
    } catch (err) {
      const e = toVigilError(err, `send to ${[...new Set(batch.map((p) => p.topic))].join(', ')}`);
      for (const p of batch) p.reject(e);
      return;
    }
    // One record batch per partition per request: the n-th record of a partition in the request
    // has the partition's base offset + n.
    const seen = new Map<string, number>();
    for (const p of batch) {
      const out: Produced[] = [];
      for (const partition of p.partitions) {
        const k = `${p.topic}\0${partition}`;
        const n = seen.get(k) ?? 0;
        seen.set(k, n + 1);
        const base = baseOffsets.get(k);
        out.push({ partition, offset: base === undefined ? -1 : Number(base) + n });
      }
      p.resolve(out);
    }
  }

  async #sendAll(messages: Parameters<ProducerClient['send']>[0]['messages']) {
    if (!this.#transactional) return this.#client.send({ messages });
    const tx = await this.#client.beginTransaction();
    try {
      const result = await tx.send({ messages });
      await tx.commit();
      return result;
    } catch (err) {
      await tx.abort().catch(() => {});
      throw err;
    }
  }

  async #partitionsOf(topic: string, records: readonly ProduceRecord[]): Promise<number[]> {
    let count = 0;
    const out: number[] = [];
    for (const r of records) {
      if (r.partition !== undefined) {
        out.push(r.partition);
        continue;
      }
      if (count === 0) {
        try {
          const md = await this.#client.metadata({ topics: [topic] });
          count = md.topics.get(topic)?.partitionsCount ?? 1;
        } catch (err) {
          throw toVigilError(err, `metadata of topic ${topic}`);
        }
      }
      out.push(r.key === undefined ? 0 : (murmur2(r.key) & 0x7fffffff) % count);
    }
    return out;
  }
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
