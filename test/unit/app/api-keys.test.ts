/**
 * The key service: create → verify → revoke/expire, the verified-key cache, and that secrets are
 * compared with crypto.timingSafeEqual on the derived hashes (wrong secrets of the very length of
 * the right one go through it and fail).
 */
import * as crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, SqliteApiKeyStore } from '../../../src/adapters/sqlite/index.ts';
import { ApiKeys, hashSecret, secretMatches } from '../../../src/app/api-keys.ts';
import { parseKey } from '../../../src/core/api-key.ts';

vi.mock('node:crypto', async (original) => {
  const real = await original<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

function service(now: { t: number }, cacheMs = 2000) {
  const store = new SqliteApiKeyStore(openDatabase(':memory:', 'normal'));
  return { store, keys: new ApiKeys(store, { now: () => now.t, cacheMs }) };
}

afterEach(() => {
  vi.mocked(crypto.timingSafeEqual).mockClear();
});

describe('ApiKeys', () => {
  it('stores only a salted hash, and verifies the key it printed', async () => {
    const now = { t: 1_000_000 };
    const { store, keys } = service(now);
    const { key, info } = await keys.create({ tenant: 'team-a', scopes: ['ingest', 'read'], name: 'x' });
    const record = (await store.lookup(info.id))!;
    expect(JSON.stringify(record)).not.toContain(parseKey(key)!.secret);
    expect(record.kdf).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}$/);
    expect(await keys.verify(key)).toEqual({ keyId: info.id, tenant: 'team-a', scopes: ['ingest', 'read'] });
    expect(await keys.list()).toEqual([info]);
    expect(Object.keys((await keys.list())[0]!)).not.toContain('hash');
    // Two keys with one secret get different hashes (the salt).
    const a = await hashSecret('s');
    const b = await hashSecret('s');
    expect(a.hash).not.toBe(b.hash);
  });

  it('compares derived hashes with crypto.timingSafeEqual, also for wrong secrets of equal length', async () => {
    const { kdf, hash } = await hashSecret('x'.repeat(43));
    const spy = vi.mocked(crypto.timingSafeEqual);
    for (const wrong of ['y'.repeat(43), `${'x'.repeat(42)}y`, `y${'x'.repeat(42)}`]) {
      expect(await secretMatches(wrong, kdf, hash)).toBe(false);
    }
    expect(await secretMatches('x'.repeat(43), kdf, hash)).toBe(true);
    expect(spy).toHaveBeenCalledTimes(4);
    for (const [a, b] of spy.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });

  it('refuses wrong secrets, unknown ids, malformed text, revoked and expired keys', async () => {
    const now = { t: 1_000_000 };
    const { keys } = service(now, 0);
    const { key, info } = await keys.create({ scopes: ['read'], expiresMs: now.t + 60_000 });
    const { id, secret } = parseKey(key)!;
    const flipped = secret[0] === 'A' ? `B${secret.slice(1)}` : `A${secret.slice(1)}`;
    expect(await keys.verify(`vgl_${id}_${flipped}`)).toBeUndefined();
    expect(await keys.verify(`vgl_${'0'.repeat(16)}_${secret}`)).toBeUndefined();
    expect(await keys.verify(key.slice(1))).toBeUndefined();
    expect(await keys.verify(key)).toBeDefined();
    now.t += 60_000;
    expect(await keys.verify(key)).toBeUndefined();
    now.t -= 30_000;
    expect(await keys.verify(key)).toBeDefined();
    expect(await keys.revoke(info.id)).toBe(true);
    expect(await keys.verify(key)).toBeUndefined();
    expect((await keys.list())[0]!.revokedMs).toBe(now.t);
    expect(await keys.revoke('f'.repeat(16))).toBe(false);
  });

  it('trusts a verified key for cacheMs only: a revocation elsewhere is seen after it', async () => {
    const now = { t: 1_000_000 };
    const { store, keys } = service(now, 2000);
    const { key, info } = await keys.create({ scopes: ['ingest'] });
    expect(await keys.verify(key)).toBeDefined();
    expect(keys.cached(key)).toBeDefined();
    // Another process (the CLI, another replica) revokes in the store.
    await store.revoke(info.id, now.t);
    now.t += 1999;
    expect(await keys.verify(key)).toBeDefined();
    now.t += 1;
    expect(keys.cached(key)).toBeUndefined();
    expect(await keys.verify(key)).toBeUndefined();
  });

  it('runs one check for requests that arrive together with one new key', async () => {
    const { store, keys } = service({ t: 1_000_000 });
    const { key } = await keys.create({ scopes: ['ingest'] });
    const calls = { n: 0 };
    const lookup = store.lookup.bind(store);
    store.lookup = (id) => {
      calls.n++;
      return lookup(id);
    };
    const all = await Promise.all(Array.from({ length: 16 }, () => keys.verify(key)));
    expect(all.every((p) => p?.scopes[0] === 'ingest')).toBe(true);
    expect(calls.n).toBe(1);
    expect(vi.mocked(crypto.timingSafeEqual)).toHaveBeenCalledTimes(1);
  });

  it('caps the cache at 5 s and never past a key’s expiry', async () => {
    const now = { t: 1_000_000 };
    const { keys } = service(now, 60_000);
    const { key } = await keys.create({ scopes: ['ingest'], expiresMs: now.t + 3000 });
    expect(await keys.verify(key)).toBeDefined();
    now.t += 3000;
    expect(keys.cached(key)).toBeUndefined();
    const other = await keys.create({ scopes: ['ingest'] });
    expect(await keys.verify(other.key)).toBeDefined();
    now.t += 5000;
    expect(keys.cached(other.key)).toBeUndefined();
  });

  it('refuses bad tenants, no scopes and past expiries', async () => {
    const { keys } = service({ t: 1000 });
    await expect(keys.create({ tenant: 'A B', scopes: ['read'] })).rejects.toThrow('tenant');
    await expect(keys.create({ scopes: [] })).rejects.toThrow('scope');
    await expect(keys.create({ scopes: ['read'], expiresMs: 1000 })).rejects.toThrow('future');
  });
});
