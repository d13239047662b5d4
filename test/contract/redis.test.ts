/**
 * The cache contract on Redis Cluster (3 masters + 3 replicas from scripts/services/redis.sh).
 * Every opened cache gets its own key prefix under this run's prefix, and the run's keys are
 * deleted at the end.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { openRedisCache } from '../../src/adapters/redis/index.ts';
import { service } from '../support/services.ts';
import { cacheContract } from './cache.contract.ts';

const runPrefix = `vigil-test:${randomUUID()}:`;
let nodes: string[] = [];
let opened = 0;

beforeAll(() => {
  nodes = service('redis').VIGIL_REDIS_NODES!.split(',');
});

afterAll(async () => {
  if (nodes.length === 0) return;
  const cluster = new Cluster(nodes.map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) })));
  try {
    await cluster.ping(); // resolves once connected, when nodes() lists the masters
    for (const master of cluster.nodes('master')) {
      const keys = await master.keys(`${runPrefix}*`);
      // One DEL per key: the keys of one master may still span several of its slots.
      for (const key of keys) await master.del(key);
    }
  } finally {
    await cluster.quit();
  }
});

cacheContract('redis cluster', async () => {
  const cache = await openRedisCache({ nodes, keyPrefix: `${runPrefix}${opened++}:` });
  return { cache, advance: (ms) => sleep(ms), close: () => cache.close() };
});
