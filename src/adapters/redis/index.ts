/**
 * Builds the Redis Cluster adapters from their config: `openRedisCache` for the Cache port (it owns
 * its connection), `connectRedis` for a connection that several RedisCheckpointStates share.
 */
import type { Cache } from '../../ports/cache.ts';
import { RedisCache } from './cache.ts';
import { RedisConnection } from './client.ts';
import { type RedisConfig, resolveRedisConfig } from './config.ts';

export { RedisCache } from './cache.ts';
export { RedisCheckpointStates } from './checkpoint-states.ts';
export { RedisConnection } from './client.ts';
export { type RedisConfig, type ResolvedRedisConfig, resolveRedisConfig } from './config.ts';

/**
 * Connects to the cluster and resolves once a node has answered; fails with VIGIL_ERR_CONFIG on a
 * malformed config and VIGIL_ERR_UNAVAILABLE when no node answers within `unavailableAfterMs`.
 */
export async function connectRedis(config: RedisConfig): Promise<RedisConnection> {
  resolveRedisConfig(config);
  const redis = new RedisConnection(config);
  try {
    await redis.run('connect', (c) => c.ping());
    return redis;
  } catch (err) {
    await redis.close();
    throw err;
  }
}

/** The Cache port on the cluster; closing it closes its connection. Fails as `connectRedis`. */
export async function openRedisCache(config: RedisConfig): Promise<Cache> {
  const redis = await connectRedis(config);
  return new RedisCache(redis, { keyPrefix: resolveRedisConfig(config).keyPrefix });
}
