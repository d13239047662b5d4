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

/**
 * The token bucket of Cache.takeTokens (ports/cache.ts tokenWait) on one hash: tokens and the time
 * they were counted at. Time is the caller's, as in incrWindow, so every adapter answers alike.
 * ARGV: n, perSecond, burst, nowMs.
 */
const TAKE_TOKENS = `local n = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = burst
if state[1] then
  tokens = math.min(burst, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * rate / 1000)
end
local needed = math.min(n, burst)
local wait = 0
if tokens >= needed then tokens = tokens - n else wait = math.ceil((needed - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
return wait`;

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

  async takeTokens(key: string, n: number, perSecond: number, burst: number, nowMs: number): Promise<number> {
    const k = this.#prefix + key;
    const wait = await this.#redis.run('takeTokens', (c) =>
      c.eval(TAKE_TOKENS, 1, k, n, perSecond, burst, nowMs),
    );
    return Number(wait);
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
