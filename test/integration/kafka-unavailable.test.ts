/**
 * The Kafka adapter with no cluster to talk to (a loopback port nothing listens on): every
 * operation fails within its bound with the retriable VIGIL_ERR_UNAVAILABLE, and a malformed
 * config fails at once with VIGIL_ERR_CONFIG naming the field.
 */
import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import {
  connectKafka,
  KafkaGroupConsumer,
  openKafkaPartitionLog,
  resolveKafkaConfig,
} from '../../src/adapters/kafka/index.ts';
import { isVigilError } from '../../src/core/errors.ts';

/** A port that was free a moment ago: connections to it are refused. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

const unavailable = (e: unknown) => isVigilError(e) && e.code === 'VIGIL_ERR_UNAVAILABLE' && e.retriable;

it('fails with VIGIL_ERR_UNAVAILABLE when no broker answers', async () => {
  const config = {
    brokers: [`127.0.0.1:${await deadPort()}`],
    clientId: 'unavailable',
    unavailableAfterMs: 1_000,
  };
  const clients = connectKafka(config);
  try {
    await expect(clients.producer.send('t', [{ partition: 0, value: Buffer.from('x') }])).rejects.toSatisfy(
      unavailable,
    );
    await expect(clients.topics.ensure('t', 1)).rejects.toSatisfy(unavailable);
    const log = openKafkaPartitionLog(clients, 't', 0);
    await expect(log.endOffset()).rejects.toSatisfy(unavailable);
    await expect(log.read(0, 10)).rejects.toSatisfy(unavailable);
    await expect(
      KafkaGroupConsumer.join(resolveKafkaConfig(config), {
        groupId: 'g',
        topics: ['t'],
        handlers: { startOffset: async () => undefined, onRecords: async () => {} },
      }),
    ).rejects.toSatisfy(unavailable);
  } finally {
    await clients.close();
  }
}, 60_000);

it('refuses a malformed config with VIGIL_ERR_CONFIG', () => {
  const bad = (c: Parameters<typeof resolveKafkaConfig>[0], field: string) =>
    expect(() => resolveKafkaConfig(c)).toThrow(
      expect.objectContaining({ code: 'VIGIL_ERR_CONFIG', message: expect.stringContaining(field) }),
    );
  bad({ brokers: [], clientId: 'x' }, 'kafka.brokers');
  bad({ brokers: ['localhost'], clientId: 'x' }, 'kafka.brokers[0]');
  bad({ brokers: ['a:1'], clientId: 'x', maxWaitMs: 10_000 }, 'kafka.maxWaitMs');
  bad(
    { brokers: ['a:1'], clientId: 'x', sessionTimeoutMs: 500, heartbeatIntervalMs: 1_000 },
    'kafka.sessionTimeoutMs',
  );
});
