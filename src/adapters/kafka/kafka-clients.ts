/**
 * The Kafka clients one process shares: the topic admin, an idempotent producer, a transactional
 * producer, a partition reader. Each is created on first use; `close` closes the ones that were.
 * Port implementations (KafkaPartitionLog, KafkaPartitionedLog) borrow them and never close them.
 */
import { type KafkaConfig, type ResolvedKafkaConfig, resolveKafkaConfig } from './config.ts';
import { PartitionReader } from './partition-reader.ts';
import { KafkaProducer } from './producer.ts';
import { KafkaTopics } from './topics.ts';

export class KafkaClients {
  readonly config: ResolvedKafkaConfig;
  #topics: KafkaTopics | null = null;
  #producer: KafkaProducer | null = null;
  #txProducer: KafkaProducer | null = null;
  #reader: PartitionReader | null = null;

  /** Fails with VIGIL_ERR_CONFIG on a malformed config; connects lazily. */
  constructor(config: KafkaConfig) {
    this.config = resolveKafkaConfig(config);
  }

  get topics(): KafkaTopics {
    this.#topics ??= new KafkaTopics(this.config);
    return this.#topics;
  }

  /** Idempotent, acks=all; consecutive offsets per partition. */
  get producer(): KafkaProducer {
    this.#producer ??= new KafkaProducer(this.config);
    return this.#producer;
  }

  /** Every request in its own transaction (records of several partitions visible together). */
  get txProducer(): KafkaProducer {
    this.#txProducer ??= new KafkaProducer(this.config, { transactional: true });
    return this.#txProducer;
  }

  get reader(): PartitionReader {
    this.#reader ??= new PartitionReader(this.config);
    return this.#reader;
  }

  async close(): Promise<void> {
    const open = [this.#producer, this.#txProducer, this.#reader, this.#topics].filter((c) => c !== null);
    this.#producer = this.#txProducer = this.#reader = this.#topics = null;
    await Promise.allSettled(open.map((c) => c.close()));
  }
}
