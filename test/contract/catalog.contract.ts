/** Contract of the SeriesCatalog port: stable ids, all-or-nothing registration, metric and tags. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TENANT, seriesKey, tagsOfTenant } from '../../src/core/series.ts';
import type { SeriesCatalog } from '../../src/ports/series-catalog.ts';
import type { Reopenable } from './fixtures.ts';

export interface CatalogUnderTest extends Reopenable<CatalogUnderTest> {
  catalog: SeriesCatalog;
}

export function catalogContract(name: string, open: () => Promise<CatalogUnderTest>): void {
  describe(`SeriesCatalog contract: ${name}`, () => {
    it('registers new keys once, keeps ids stable across a restart and parses metric and tags', async () => {
      let s = await open();
      const a = seriesKey('cpu', { host: 'a', region: 'eu' });
      const b = seriesKey('mem used', { 'host name': 'b,c=d' });
      const ids = await s.catalog.resolve([a, b, a], 1000);
      expect(ids[0]).toBe(ids[2]);
      expect(ids[0]).not.toBe(ids[1]);
      expect(await s.catalog.count()).toBe(2);
      expect(await s.catalog.idOf(b)).toBe(ids[1]);
      expect(await s.catalog.idOf(seriesKey('nope', {}))).toBeUndefined();
      s = await s.reopen();
      expect([...(await s.catalog.resolve([b, a], 2000))]).toEqual([ids[1], ids[0]]);
      const info = await s.catalog.get(ids[1]!);
      expect(info).toEqual({
        id: ids[1],
        key: b,
        metric: 'mem used',
        tags: { 'host name': 'b,c=d' },
        createdMs: 1000,
      });
      expect(await s.catalog.get(999_999)).toBeUndefined();
      expect((await s.catalog.all()).map((x) => x.key)).toEqual([a, b]);
      await s.close();
    });

    it('counts the series of each tenant, across a restart', async () => {
      let s = await open();
      const keys = [
        seriesKey('cpu', { host: 'a' }),
        seriesKey('cpu', tagsOfTenant({ host: 'a' }, 'acme')),
        seriesKey('cpu', tagsOfTenant({ host: 'b' }, 'acme')),
        // A tag value that merely contains the tenant tag's text is not a tenant.
        seriesKey('cpu', { note: '__tenant__="acme"' }),
      ];
      await s.catalog.resolve(keys, 1000);
      s = await s.reopen();
      expect(await s.catalog.countOf('acme')).toBe(2);
      expect(await s.catalog.countOf(DEFAULT_TENANT)).toBe(2);
      expect(await s.catalog.countOf('nobody')).toBe(0);
      await s.close();
    });
  });
}
