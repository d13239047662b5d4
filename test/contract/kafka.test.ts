/** The Log contract on one Kafka topic-partition (3 brokers, replication 3, min ISR 2). */
import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import {
  connectKafka,
  type KafkaClients,
  KafkaPartitionedLog,
  openKafkaPartitionLog,
} from '../../src/adapters/kafka/index.ts';
import { service } from '../support/services.ts';
import { type LogUnderTest, logContract } from './log.contract.ts';
import { partitionedLogContract } from './partitioned-log.contract.ts';

const brokers = service('kafka').VIGIL_KAFKA_BROKERS!.split(',');
const run = randomUUID().slice(0, 8);
const created: string[] = [];
let n = 0;

logContract('kafka', async () => {
  const topic = `vigil-contract-${run}-${n++}`;
  const admin = connectKafka({ brokers, clientId: `contract-${run}` });
  await admin.topics.ensure(topic, 1);
  created.push(topic);
  await admin.close();
  // Each open and reopen gets new clients: nothing carries over but what Kafka stored.
  const open = (): LogUnderTest => {
    const clients: KafkaClients = connectKafka({ brokers, clientId: `contract-${run}` });
    return {
      log: openKafkaPartitionLog(clients, topic, 0),
      reopen: async () => {
        await clients.close();
        return open();
      },
      close: () => clients.close(),
    };
  };
  return open();
});

afterAll(async () => {
  const admin = connectKafka({ brokers, clientId: `contract-${run}` });
  await admin.topics.delete(created);
  await admin.close();
});

partitionedLogContract('kafka', async () => {
  const clients = connectKafka({
    brokers,
    clientId: `contract-plog-${run}`,
    sessionTimeoutMs: 3_000,
    heartbeatIntervalMs: 500,
    rebalanceTimeoutMs: 10_000,
  });
  const log = new KafkaPartitionedLog(clients);
  return {
    log,
    topic: (name) => {
      const t = `vigil-contract-plog-${run}-${name}-${n++}`;
      created.push(t);
      return t;
    },
    close: async () => {
      await log.close();
      await clients.close();
    },
  };
});
