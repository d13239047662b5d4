/**
 * Contract of the ApiKeyStore port. Records are stored as given (the store never hashes), a
 * revocation is seen by a second handle on the same store at its next lookup (another process:
 * the CLI, another API replica), and revoking keeps the first time.
 */
import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord, ApiKeyStore } from '../../src/ports/api-key-store.ts';
import type { Reopenable } from './fixtures.ts';

export interface ApiKeysUnderTest extends Reopenable<ApiKeysUnderTest> {
  keys: ApiKeyStore;
  /** Another handle on the same store, as another process would have. */
  other(): Promise<ApiKeyStore>;
}

const record = (id: string, extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  id,
  tenant: 'default',
  scopes: ['ingest', 'read'],
  name: `key ${id}`,
  kdf: 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA',
  hash: `hash-of-${id}`,
  createdMs: 1_700_000_000_000,
  ...extra,
});

export function apiKeyStoreContract(name: string, open: () => Promise<ApiKeysUnderTest>): void {
  describe(`ApiKeyStore contract: ${name}`, () => {
    it('stores records as given, durably; lists them oldest first', async () => {
      let s = await open();
      expect(await s.keys.list()).toEqual([]);
      const a = record('00000000000000aa', {
        tenant: 'team-a',
        scopes: ['admin'],
        expiresMs: 1_800_000_000_000,
      });
      const b = record('00000000000000bb', { createdMs: 1_600_000_000_000 });
      await s.keys.create(a);
      await s.keys.create(b);
      s = await s.reopen();
      expect(await s.keys.lookup(a.id)).toEqual(a);
      expect(await s.keys.lookup('00000000000000cc')).toBeUndefined();
      expect(await s.keys.list()).toEqual([b, a]);
      await expect(s.keys.create({ ...a, hash: 'other' })).rejects.toMatchObject({
        code: 'VIGIL_ERR_STORAGE',
      });
      expect(await s.keys.lookup(a.id)).toEqual(a);
      await s.close();
    });

    it('a revocation is seen by another handle at its next lookup, and keeps its first time', async () => {
      const s = await open();
      const other = await s.other();
      try {
        const a = record('00000000000000aa');
        await s.keys.create(a);
        expect(await other.lookup(a.id)).toEqual(a);
        expect(await other.revoke(a.id, 5000)).toBe(true);
        expect((await s.keys.lookup(a.id))?.revokedMs).toBe(5000);
        expect(await s.keys.revoke(a.id, 9000)).toBe(true);
        expect((await s.keys.lookup(a.id))?.revokedMs).toBe(5000);
        expect(await s.keys.revoke('00000000000000ff', 9000)).toBe(false);
      } finally {
        await other.close();
        await s.close();
      }
    });

    it('counts the keys neither revoked nor expired', async () => {
      const s = await open();
      await s.keys.create(record('0000000000000001'));
      await s.keys.create(record('0000000000000002', { expiresMs: 2000 }));
      await s.keys.create(record('0000000000000003'));
      await s.keys.revoke('0000000000000003', 1000);
      expect(await s.keys.countActive(1999)).toBe(2);
      expect(await s.keys.countActive(2000)).toBe(1);
      await s.close();
    });
  });
}
