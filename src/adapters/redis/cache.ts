/**
 * The Cache port on Redis Cluster. Each port key maps to one Redis key, `keyPrefix + key`, so the
 * caller's hash tags keep working (the prefix carries none). TTLs are Redis' own (PX), counted on
 * the server's clock.
 *
 * Under failover every call is retried within the connection's bound (see client.ts). Two calls
 * are not idempotent, and a repeat after a lost reply means:
 * - `incrWindow` may count one call twice: a rate limit then errs on the strict side.
 * - `setIfAbsent` may answer false although this very call set the key: a dedup key or lease then
 *   looks taken by someone else until its TTL passes.
 */
import type { Cache } from '../../ports/cache.ts';
import type { RedisConnection } from './client.ts';
import { checkKeyPrefix } from './config.ts';

/**
 * INCR and, on the first increment, PEXPIRE, as one script on one key, so a counter can never be
 * left without its TTL.
 */
const INCR_WINDOW = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

export class RedisCache implements Cache {
  readonly #redis: RedisConnection;
  readonly #prefix: string;

  /** Owns `redis`: `close` closes it. */
  constructor(redis: RedisConnection, options: { keyPrefix?: string } = {}) {
    this.#redis = redis;
    this.#prefix = checkKeyPrefix(options.keyPrefix ?? '');
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.#redis.run('get', (c) => c.get(this.#prefix + key));
    return value ?? undefined;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    const k = this.#prefix + key;
    // Without a TTL, SET drops any TTL the key had, as the port (and MemoryCache) do.
    await this.#redis.run('set', (c) =>
      ttlMs === undefined ? c.set(k, value) : c.set(k, value, 'PX', ttl(ttlMs)),
    );
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const k = this.#prefix + key;
    const reply = await this.#redis.run('setIfAbsent', (c) => c.set(k, value, 'PX', ttl(ttlMs), 'NX'));
    return reply === 'OK';
  }

  async incrWindow(key: string, windowMs: number, nowMs: number): Promise<number> {
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    const k = `${this.#prefix}${key}:${windowStart}`;
    // The counter lives for the rest of its window plus one window of grace, so processes whose
    // clocks trail a little still find it.
    const life = ttl(windowStart + 2 * windowMs - nowMs);
    const count = await this.#redis.run('incrWindow', (c) => c.eval(INCR_WINDOW, 1, k, life));
    return Number(count);
  }

  async delete(key: string): Promise<void> {
    await this.#redis.run('delete', (c) => c.del(this.#prefix + key));
  }

  async close(): Promise<void> {
    await this.#redis.close();
  }
}

/** Redis rejects PX ≤ 0; a TTL under 1 ms means "expire as soon as possible". */
function ttl(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}
