/**
 * Cache: hot, expiring key-value state shared by the processes of a deployment: caches, dedup keys,
 * rate limits and alert cooldowns. Embedded: in memory; scaled out: Redis Cluster. Values are
 * strings; TTLs are milliseconds. Keys that must live together (one slot in Redis Cluster) share
 * a `{hash tag}`.
 */
export interface Cache {
  get(key: string): Promise<string | undefined>;
  /** Sets `key`; with `ttlMs` it expires after that long. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /**
   * Sets `key` only if it is absent (dedup keys, cooldowns, leases); true when this call set it.
   * Atomic across every process sharing the cache.
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Fixed-window counter for rate limits: increments the counter of the window that `nowMs` falls
   * in (windows are aligned to multiples of `windowMs`) and returns its new count.
   */
  incrWindow(key: string, windowMs: number, nowMs: number): Promise<number>;
  /**
   * Token bucket for rate limits in units (points/s): the bucket holds at most `burst` tokens,
   * starts full and refills at `perSecond`. Takes `n` tokens when at least min(n, burst) are there
   * (a request larger than the burst drains the bucket below zero, so it is allowed once the
   * bucket is full and then waits its cost out) and returns 0; else takes nothing and returns the
   * milliseconds until it would succeed. Atomic across every process sharing the cache.
   */
  takeTokens(key: string, n: number, perSecond: number, burst: number, nowMs: number): Promise<number>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The token bucket's rule, shared by every adapter (Redis runs the same arithmetic in a script):
 * 0 when `n` may be taken from `tokens`, else the milliseconds until it may.
 */
export function tokenWait(tokens: number, n: number, perSecond: number, burst: number): number {
  const needed = Math.min(n, burst);
  return tokens >= needed ? 0 : Math.ceil(((needed - tokens) * 1000) / perSecond);
}
