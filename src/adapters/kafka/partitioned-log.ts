/**
 * The PartitionedLog port on Kafka: topics created with the configured replication, appends
 * acknowledged by all in-sync replicas, consumer groups whose members start each partition where
 * the owner says (its checkpoint).
 *
 * Atomic appends: records for one partition go out as one record batch, which Kafka stores whole
 * or not at all; records for several partitions go out in one transaction, and group members read
 * committed data only, so they see all of an append or nothing. A failed append (VIGIL_ERR_UNAVAILABLE)
 * may still have been stored; the caller's retry is at-least-once.
 */
import type { VigilError } from '../../core/errors.ts';
import type {
  GroupHandlers,
  GroupMembership,
  OutRecord,
  PartitionedLog,
} from '../../ports/partitioned-log.ts';
import { KafkaGroupConsumer } from './group-consumer.ts';
import type { KafkaClients } from './kafka-clients.ts';
import { plainBytes } from './partition-log.ts';

export class KafkaPartitionedLog implements PartitionedLog {
  readonly #clients: KafkaClients;
  readonly #onError: (err: VigilError) => void;
  readonly #members = new Set<KafkaGroupConsumer>();

  /**
   * `clients` stay the caller's (closing this log leaves them open). `onError` hears what group
   * members work around by themselves (fetch retries, a handler that threw): for logs and metrics.
   */
  constructor(clients: KafkaClients, opts: { onError?: (err: VigilError) => void } = {}) {
    this.#clients = clients;
    this.#onError = opts.onError ?? (() => {});
  }

  async ensureTopic(topic: string, partitions: number): Promise<void> {
    await this.#clients.topics.ensure(topic, partitions);
  }

  async append(topic: string, records: readonly OutRecord[]): Promise<void> {
    if (records.length === 0) return;
    const first = records[0]!.partition;
    const producer = records.every((r) => r.partition === first)
      ? this.#clients.producer
      : this.#clients.txProducer;
    await producer.send(topic, records);
  }

  async join(group: string, topic: string, handlers: GroupHandlers): Promise<GroupMembership> {
    const member = await KafkaGroupConsumer.join(this.#clients.config, {
      groupId: group,
      topics: [topic],
      handlers: {
        onAssigned: (ps) => handlers.assigned(ps.map((p) => p.partition)),
        startOffset: (_topic, partition) => handlers.startOffset(partition),
        onRecords: (_topic, partition, records) =>
          handlers.records(
            partition,
            records.map((r) => ({ offset: r.offset, value: plainBytes(r.value) })),
          ),
        onRevoked: (ps) => handlers.revoked(ps.map((p) => p.partition)),
        onError: this.#onError,
      },
    });
    this.#members.add(member);
    return {
      commit: (partition, nextOffset) => member.commit(topic, partition, nextOffset),
      close: async () => {
        this.#members.delete(member);
        await member.close();
      },
    };
  }

  /** Leaves every group this log joined (revoking their partitions first). */
  async close(): Promise<void> {
    const members = [...this.#members];
    this.#members.clear();
    await Promise.allSettled(members.map((m) => m.close()));
  }
}
