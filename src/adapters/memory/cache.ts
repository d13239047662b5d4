/**
 * The embedded Cache: a Map in this process, for the one-process deployment and for tests. Entries
 * expire lazily: an expired entry is treated as absent when touched, and dropped in a sweep of the
 * whole map whenever it has doubled in size since the last sweep, so keys that are written once
 * and never read again (window counters, dedup keys) cannot grow it without bound.
 *
 * The clock is injected (`now`, epoch ms) so tests move time by hand; TTLs count on that clock.
 * Every method completes synchronously under its promise, so each is atomic within the process,
 * which is all the sharing there is in embedded mode.
 */
import { type Cache, tokenWait } from '../../ports/cache.ts';

interface Entry {
  value: string;
  /** Epoch ms on the injected clock; Infinity without a TTL. */
  expiresAt: number;
}

/** Smallest map size at which a sweep is worth its cost. */
const MIN_SWEEP_SIZE = 1024;

export class MemoryCache implements Cache {
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  #sweepAt = MIN_SWEEP_SIZE;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async get(key: string): Promise<string | undefined> {
    return this.#live(key)?.value;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#put(key, value, ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.#live(key) !== undefined) return false;
    this.#put(key, value, ttlMs);
    return true;
  }

  async incrWindow(key: string, windowMs: number, nowMs: number): Promise<number> {
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    const counterKey = `${key}:${windowStart}`;
    const entry = this.#live(counterKey);
    const count = (entry === undefined ? 0 : Number(entry.value)) + 1;
    if (entry === undefined) {
      // Same lifetime as the Redis adapter: the rest of the window plus one window of grace.
      this.#put(counterKey, String(count), windowStart + 2 * windowMs - nowMs);
    } else {
      entry.value = String(count);
    }
    return count;
  }

  async takeTokens(key: string, n: number, perSecond: number, burst: number, nowMs: number): Promise<number> {
    const entry = this.#live(key);
    let tokens = burst;
    if (entry !== undefined) {
      const [stored, at] = entry.value.split(':').map(Number) as [number, number];
      tokens = Math.min(burst, stored + (Math.max(0, nowMs - at) * perSecond) / 1000);
    }
    const wait = tokenWait(tokens, n, perSecond, burst);
    if (wait === 0) tokens -= n;
    // Same lifetime as the Redis adapter: until the bucket is full again, plus a second.
    this.#put(key, `${tokens}:${nowMs}`, Math.ceil(((burst - tokens) * 1000) / perSecond) + 1000);
    return wait;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #put(key: string, value: string, ttlMs: number | undefined): void {
    const expiresAt = ttlMs === undefined ? Number.POSITIVE_INFINITY : this.#now() + Math.max(1, ttlMs);
    this.#entries.set(key, { value, expiresAt });
    if (this.#entries.size >= this.#sweepAt) this.#sweep();
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
    this.#sweepAt = Math.max(MIN_SWEEP_SIZE, this.#entries.size * 2);
  }
}
