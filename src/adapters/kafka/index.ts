/**
 * Builds the Kafka adapters from their config. `connectKafka` gives the clients a process shares;
 * the ports are built on them:
 *   - `new KafkaPartitionedLog(clients)`: the PartitionedLog port (topics, atomic appends, groups)
 *   - `openKafkaPartitionLog(clients, topic, partition)`: the Log port on one topic-partition
 *   - `KafkaGroupConsumer.join(clients.config, …)`: a group member with per-partition handlers
 * Nothing connects until first used; every failure to reach the cluster is VIGIL_ERR_UNAVAILABLE.
 */
import type { KafkaConfig } from './config.ts';
import { KafkaClients } from './kafka-clients.ts';
import { KafkaPartitionLog } from './partition-log.ts';

export type { KafkaConfig, ResolvedKafkaConfig } from './config.ts';
export { resolveKafkaConfig } from './config.ts';
export type { FetchedRecord } from './fetch-records.ts';
export {
  type GroupConsumerHandlers,
  type GroupConsumerOptions,
  KafkaGroupConsumer,
  type TopicPartition,
} from './group-consumer.ts';
export { KafkaClients } from './kafka-clients.ts';
export { KafkaPartitionLog } from './partition-log.ts';
export { KafkaPartitionedLog } from './partitioned-log.ts';
export { KafkaProducer, type Produced, type ProduceRecord } from './producer.ts';
export { KafkaTopics } from './topics.ts';

/** Clients for one process; fails with VIGIL_ERR_CONFIG on a malformed config. */
export function connectKafka(config: KafkaConfig): KafkaClients {
  return new KafkaClients(config);
}

/** The Log port on one topic-partition, borrowing `clients` (which the caller closes). */
export function openKafkaPartitionLog(
  clients: KafkaClients,
  topic: string,
  partition: number,
): KafkaPartitionLog {
  return new KafkaPartitionLog(clients.producer, clients.reader, topic, partition);
}
