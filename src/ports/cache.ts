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
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}
