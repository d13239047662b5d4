/**
 * Contract of the Cache port. Every adapter runs this same suite (see *.test.ts beside it), so the
 * embedded cache and Redis Cluster are held to one behaviour.
 *
 * `advance(ms)` lets at least `ms` pass on the cache's clock: an injected clock moves, a real
 * server's time is waited out. TTL checks therefore use short TTLs (TTL_MS) only where a key must
 * expire, and long ones (LONG_MS) where it must still be there, so no check depends on how fast the
 * machine runs.
 */
import { describe, expect, it } from 'vitest';
import type { Cache } from '../../src/ports/cache.ts';

export interface CacheUnderTest {
  cache: Cache;
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

const TTL_MS = 100;
const PAST_TTL_MS = TTL_MS + 100;
const LONG_MS = 600_000;

export function cacheContract(name: string, open: () => Promise<CacheUnderTest>): void {
  describe(`cache contract: ${name}`, () => {
    const withCache = (body: (t: CacheUnderTest) => Promise<void>) => async () => {
      const t = await open();
      try {
        await body(t);
      } finally {
        await t.close();
      }
    };

    it(
      'get / set / overwrite / delete',
      withCache(async ({ cache }) => {
        expect(await cache.get('absent')).toBeUndefined();
        await cache.set('k', 'v1');
        expect(await cache.get('k')).toBe('v1');
        await cache.set('k', 'v2');
        expect(await cache.get('k')).toBe('v2');
        await cache.set('other', '');
        expect(await cache.get('other')).toBe('');
        await cache.delete('k');
        expect(await cache.get('k')).toBeUndefined();
        expect(await cache.get('other')).toBe('');
        await cache.delete('k'); // deleting an absent key is fine
        await cache.delete('other');
      }),
    );

    it(
      'a TTL expires the key; a long TTL or none keeps it',
      withCache(async ({ cache, advance }) => {
        await cache.set('short', 's', TTL_MS);
        await cache.set('long', 'l', LONG_MS);
        await cache.set('forever', 'f');
        expect(await cache.get('long')).toBe('l');
        await advance(PAST_TTL_MS);
        expect(await cache.get('short')).toBeUndefined();
        expect(await cache.get('long')).toBe('l');
        expect(await cache.get('forever')).toBe('f');
        await cache.delete('long');
        await cache.delete('forever');
      }),
    );

    it(
      'set without a TTL clears the TTL an earlier set gave the key',
      withCache(async ({ cache, advance }) => {
        await cache.set('k', 'a', TTL_MS);
        await cache.set('k', 'b');
        await advance(PAST_TTL_MS);
        expect(await cache.get('k')).toBe('b');
        await cache.delete('k');
      }),
    );

    it(
      'setIfAbsent: true once, then false while the key lives, and true again after it expired',
      withCache(async ({ cache, advance }) => {
        expect(await cache.setIfAbsent('lease', 'a', LONG_MS)).toBe(true);
        expect(await cache.setIfAbsent('lease', 'b', LONG_MS)).toBe(false);
        expect(await cache.get('lease')).toBe('a');
        await cache.set('plain', 'x');
        expect(await cache.setIfAbsent('plain', 'y', LONG_MS)).toBe(false);

        expect(await cache.setIfAbsent('cooldown', 'a', TTL_MS)).toBe(true);
        await advance(PAST_TTL_MS);
        expect(await cache.get('cooldown')).toBeUndefined();
        expect(await cache.setIfAbsent('cooldown', 'b', LONG_MS)).toBe(true);
        expect(await cache.get('cooldown')).toBe('b');

        await cache.delete('lease');
        expect(await cache.setIfAbsent('lease', 'c', LONG_MS)).toBe(true);
        for (const k of ['lease', 'plain', 'cooldown']) await cache.delete(k);
      }),
    );

    it(
      'concurrent setIfAbsent on one key: exactly one caller wins',
      withCache(async ({ cache }) => {
        const callers = Array.from({ length: 50 }, (_, i) =>
          cache.setIfAbsent('dedup', `caller-${i}`, LONG_MS),
        );
        const results = await Promise.all(callers);
        const winners = results.flatMap((won, i) => (won ? [i] : []));
        expect(winners).toHaveLength(1);
        expect(await cache.get('dedup')).toBe(`caller-${winners[0]}`);
        await cache.delete('dedup');
      }),
    );

    it(
      'incrWindow counts per aligned window and restarts in the next one',
      withCache(async ({ cache }) => {
        const windowMs = 60_000;
        // An aligned window start far from "now", so a real server's clock plays no part.
        const start = Math.floor(Date.UTC(2030, 0, 1) / windowMs) * windowMs;
        expect(await cache.incrWindow('rate', windowMs, start)).toBe(1);
        expect(await cache.incrWindow('rate', windowMs, start + 1)).toBe(2);
        expect(await cache.incrWindow('rate', windowMs, start + windowMs - 1)).toBe(3);
        expect(await cache.incrWindow('rate', windowMs, start + windowMs)).toBe(1);
        expect(await cache.incrWindow('rate', windowMs, start + windowMs + 5)).toBe(2);
        expect(await cache.incrWindow('rate-other', windowMs, start)).toBe(1);
        const together = await Promise.all(
          Array.from({ length: 20 }, () => cache.incrWindow('burst', windowMs, start)),
        );
        expect([...together].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      }),
    );

    it(
      'unicode keys and values round-trip',
      withCache(async ({ cache }) => {
        const key = 'série:{ключ}:東京:🔑';
        const value = 'значение 😀 — naïve\nzweite Zeile \u0000 end';
        await cache.set(key, value);
        expect(await cache.get(key)).toBe(value);
        expect(await cache.setIfAbsent(`${key}:2`, '✓', LONG_MS)).toBe(true);
        expect(await cache.get(`${key}:2`)).toBe('✓');
        expect(await cache.incrWindow(key, 1_000, 5_000)).toBe(1);
        await cache.delete(key);
        await cache.delete(`${key}:2`);
        expect(await cache.get(key)).toBeUndefined();
      }),
    );

    it(
      'takeTokens: a bucket that starts full, refills at its rate and tells how long to wait',
      withCache(async ({ cache }) => {
        const t0 = 1_767_225_600_000;
        // 10 tokens a second, at most 10.
        expect(await cache.takeTokens('tb:a', 5, 10, 10, t0)).toBe(0);
        expect(await cache.takeTokens('tb:a', 5, 10, 10, t0)).toBe(0);
        expect(await cache.takeTokens('tb:a', 1, 10, 10, t0)).toBe(100);
        expect(await cache.takeTokens('tb:a', 3, 10, 10, t0 + 100)).toBe(200); // 1 there, 2 missing
        expect(await cache.takeTokens('tb:a', 5, 10, 10, t0 + 500)).toBe(0);
        // Refill stops at the burst.
        expect(await cache.takeTokens('tb:a', 10, 10, 10, t0 + 60_000)).toBe(0);
        expect(await cache.takeTokens('tb:a', 1, 10, 10, t0 + 60_000)).toBe(100);
        // Larger than the burst: allowed from a full bucket, then its cost is waited out.
        expect(await cache.takeTokens('tb:b', 25, 10, 10, t0)).toBe(0);
        expect(await cache.takeTokens('tb:b', 1, 10, 10, t0)).toBe(1600);
        // Buckets are independent.
        expect(await cache.takeTokens('tb:c', 10, 10, 10, t0)).toBe(0);
        await cache.delete('tb:a');
        await cache.delete('tb:b');
        await cache.delete('tb:c');
      }),
    );
  });
}
