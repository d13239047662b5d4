/** Each adapter reads its own section of the one config schema: defaults come from there only. */
import { expect, it } from 'vitest';
import { resolveInfluxConfig } from '../../../src/adapters/influx/index.ts';
import { resolveKafkaConfig } from '../../../src/adapters/kafka/index.ts';
import { resolvePostgresConfig } from '../../../src/adapters/postgres/index.ts';
import { resolveRedisConfig } from '../../../src/adapters/redis/index.ts';
import { validateConfig } from '../../../src/config/load.ts';

const config = validateConfig({});

it('a partial section takes the schema defaults that validateConfig fills in', () => {
  const kafka = resolveKafkaConfig({ brokers: ['a:1'] });
  expect({ ...kafka, brokers: config.kafka.brokers }).toEqual(config.kafka);
  expect(kafka.brokers).toEqual(['a:1']);
  const redis = resolveRedisConfig({ nodes: 'h:1, h:2' });
  expect({ ...redis, nodes: config.redis.nodes }).toEqual(config.redis);
  expect(redis.nodes).toEqual([
    { host: 'h', port: 1 },
    { host: 'h', port: 2 },
  ]);
  expect(resolvePostgresConfig({ url: config.postgres.url })).toEqual(config.postgres);
  expect(resolveInfluxConfig({ url: config.influx.url, database: 'vigil' })).toEqual(config.influx);
});

it('the validated section itself is accepted as is (comma-separated lists too)', () => {
  expect(resolveKafkaConfig(config.kafka).brokers).toEqual(config.kafka.brokers.split(','));
  expect(resolveKafkaConfig({ brokers: 'a:1, b:2', lingerMs: undefined }).lingerMs).toBe(
    config.kafka.lingerMs,
  );
  expect(resolveRedisConfig(config.redis).keyPrefix).toBe(config.redis.keyPrefix);
});
