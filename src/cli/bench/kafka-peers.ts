/**
 * The Kafka client layer side by side: one consume-and-decode loop (each record's PointBatch
 * decoded, its points counted; no engine) over a pre-filled topic, by a fresh consumer group that
 * starts at the topic's beginning, timed from joining to the last point. Three clients:
 * - `@platformatic/kafka` through our adapter (KafkaPartitionedLog.join), what `vigil detector` uses;
 * - `@platformatic/kafka` alone (its Consumer's message stream), to see what the adapter adds;
 * - KafkaJS 2.2.4 (`consumer.run` with `eachBatch`; a devDependency, imported only here).
 * All read committed, up to 1 MiB per partition per fetch, a 10 ms fetch wait, no offset commits.
 */
import { randomBytes } from 'node:crypto';
import { Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import { connectKafka, KafkaPartitionedLog } from '../../adapters/kafka/index.ts';
import { VigilError } from '../../core/errors.ts';
import { decodeBatch } from '../../core/point-batch-codec.ts';

export type PeerClient = 'vigil-adapter' | 'platformatic-stream' | 'kafkajs';

export interface PeerRun {
  client: string;
  via: string;
  topic: string;
  messages: number;
  points: number;
  seconds: number;
  /** From the start of joining to the first record. */
  firstRecordMs: number;
  messagesPerSec: number;
  pointsPerSec: number;
}

export interface PeerTarget {
  brokers: string[];
  topic: string;
  /** The case name the topic holds. */
  label: string;
  messages: number;
  points: number;
  timeoutMs: number;
}

const MAX_BYTES_PER_PARTITION = 1_048_576;
const MAX_WAIT_MS = 10;

/** Counts decoded points until `target.points`; resolves with the timing. */
class Counter {
  readonly #target: PeerTarget;
  readonly #started = performance.now();
  #first = -1;
  messages = 0;
  points = 0;
  readonly done: Promise<void>;
  #resolve!: () => void;

  constructor(target: PeerTarget) {
    this.#target = target;
    this.done = new Promise((r) => {
      this.#resolve = r;
    });
  }

  add(value: Uint8Array): void {
    if (this.#first < 0) this.#first = performance.now();
    // A plain view, as our adapter hands out: Buffer#slice would not copy out of the client's
    // receive buffer, Uint8Array#slice (in decodeBatch) does.
    const plain = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    this.points += decodeBatch(plain).seriesIds.length;
    this.messages++;
    if (this.points >= this.#target.points) this.#resolve();
  }

  result(client: string, via: string): PeerRun {
    const seconds = (performance.now() - this.#started) / 1000;
    return {
      client,
      via,
      topic: this.#target.label,
      messages: this.messages,
      points: this.points,
      seconds,
      firstRecordMs: this.#first - this.#started,
      messagesPerSec: Math.round(this.messages / seconds),
      pointsPerSec: Math.round(this.points / seconds),
    };
  }
}

async function bounded<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`${what}: not done within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const group = (client: string) => `vigil-bench-peer-${client}-${randomBytes(4).toString('hex')}`;

export async function runPeer(client: PeerClient, t: PeerTarget): Promise<PeerRun> {
  if (client === 'vigil-adapter') return viaAdapter(t);
  if (client === 'platformatic-stream') return viaStream(t);
  return viaKafkajs(t);
}

async function viaAdapter(t: PeerTarget): Promise<PeerRun> {
  const clients = connectKafka({
    brokers: t.brokers,
    clientId: group('adapter'),
    maxWaitMs: MAX_WAIT_MS,
    maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
  });
  const log = new KafkaPartitionedLog(clients);
  const count = new Counter(t);
  try {
    const member = await log.join(group('adapter'), t.topic, {
      assigned: async () => {},
      startOffset: async () => undefined,
      records: async (_p, records) => {
        for (const r of records) count.add(r.value);
      },
      revoked: async () => {},
    });
    await bounded('adapter consume', t.timeoutMs, count.done);
    const run = count.result('@platformatic/kafka', 'KafkaPartitionedLog.join (our adapter)');
    await member.close();
    return run;
  } finally {
    await log.close();
    await clients.close();
  }
}

async function viaStream(t: PeerTarget): Promise<PeerRun> {
  const consumer = new Consumer({
    clientId: group('stream'),
    groupId: group('stream'),
    bootstrapBrokers: t.brokers,
    autocommit: false,
  });
  const count = new Counter(t);
  try {
    const stream = await consumer.consume({
      topics: [t.topic],
      mode: 'earliest',
      autocommit: false,
      maxWaitTime: MAX_WAIT_MS,
      maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    stream.on('data', (m: { value: Buffer }) => count.add(m.value));
    await bounded('platformatic stream consume', t.timeoutMs, count.done);
    const run = count.result('@platformatic/kafka', 'Consumer.consume stream (library alone)');
    await stream.close();
    return run;
  } finally {
    await consumer.close(true);
  }
}

async function viaKafkajs(t: PeerTarget): Promise<PeerRun> {
  // A devDependency: a production install (the image) has no KafkaJS, and the rest of the bench
  // runs without it.
  let kafkajs: typeof import('kafkajs');
  try {
    kafkajs = await import('kafkajs');
  } catch (err) {
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      'the KafkaJS comparison needs the dev dependency kafkajs: run the bench from a checkout installed with `npm ci`',
      { cause: err },
    );
  }
  const { Kafka, logLevel } = kafkajs;
  const kafka = new Kafka({ clientId: group('kafkajs'), brokers: t.brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: group('kafkajs'),
    maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
    maxWaitTimeInMs: MAX_WAIT_MS,
    readUncommitted: false,
  });
  const count = new Counter(t);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: t.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) if (m.value !== null) count.add(m.value);
      },
    });
    await bounded('kafkajs consume', t.timeoutMs, count.done);
    return count.result('kafkajs', 'consumer.run eachBatch');
  } finally {
    await consumer.disconnect();
  }
}
