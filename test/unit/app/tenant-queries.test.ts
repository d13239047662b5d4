import { describe, expect, it } from 'vitest';
import type { QueryBackend } from '../../../src/adapters/http/query-routes.ts';
import { TenantQueries } from '../../../src/app/tenant-queries.ts';
import { seriesKey } from '../../../src/core/series.ts';
import type { SeriesInfo } from '../../../src/ports/series-catalog.ts';

const info = (id: number, tags: Record<string, string>): SeriesInfo => ({
  id,
  key: seriesKey('cpu', tags),
  metric: 'cpu',
  tags,
  createdMs: 0,
});
const stored = [
  info(1, { host: 'a' }),
  info(2, { __tenant__: 'acme', host: 'a' }),
  info(3, { __tenant__: 'beta', host: 'a' }),
];

const all: QueryBackend = {
  series: async () => stored,
  seriesByKey: async (key) => stored.find((s) => s.key === key),
  seriesById: async (id) => stored.find((s) => s.id === id),
  points: async (id) => [{ ts: id, value: id } as never],
  downsampledPoints: async (id) => ({ total: 1, points: [{ ts: id, value: id } as never] }),
  anomalies: async (q) => (q.seriesIds ?? [1, 2, 3]).map((id) => ({ seriesId: id }) as never),
  getConfig: async () => ({}) as never,
  learned: async () => [],
  setConfig: async () => ({}) as never,
  deleteSeries: async (ids) => ({ series: ids.length, points: 0, anomalies: 0 }),
  detectorNames: () => ['ewma'],
  replay: async () => ({ pipeline: {} as never, total: 0, points: 0, anomalies: [], raised: 0, current: [] }),
};

describe("a tenant's view of the query side", () => {
  const acme = new TenantQueries(all, 'acme');

  it('lists only its series, with the tenant tag stripped from key and tags', async () => {
    expect(await acme.series()).toEqual([{ ...info(2, { host: 'a' }), id: 2 }]);
  });

  it('resolves the keys its clients name to its own series', async () => {
    expect((await acme.seriesByKey('cpu{host="a"}'))?.id).toBe(2);
    expect(await acme.seriesByKey('cpu{__tenant__="beta",host="a"}')).toBeUndefined();
    expect(await new TenantQueries(all, 'default').seriesByKey('cpu{host="a"}')).toMatchObject({ id: 1 });
  });

  it('refuses ids of other tenants on every read and write', async () => {
    expect(await acme.seriesById(3)).toBeUndefined();
    await expect(acme.points(3, 0, 1)).rejects.toMatchObject({ code: 'VIGIL_ERR_NOT_FOUND' });
    await expect(acme.getConfig(1)).rejects.toMatchObject({ code: 'VIGIL_ERR_NOT_FOUND' });
    await expect(acme.setConfig(3, {})).rejects.toMatchObject({ code: 'VIGIL_ERR_NOT_FOUND' });
    await expect(acme.deleteSeries([2, 3])).rejects.toMatchObject({ code: 'VIGIL_ERR_NOT_FOUND' });
    const q = { from: 0, to: 1, maxPoints: 1, timeoutMs: 1000, maxAnomalies: 1 };
    await expect(acme.replay(3, {}, q)).rejects.toMatchObject({ code: 'VIGIL_ERR_NOT_FOUND' });
    expect((await acme.deleteSeries([2])).series).toBe(1);
    expect((await acme.points(2, 0, 1)).length).toBe(1);
  });

  it('anomalies: only its series, with or without ids asked', async () => {
    expect((await acme.anomalies({ limit: 10 })).map((a) => a.seriesId)).toEqual([2]);
    expect((await acme.anomalies({ seriesIds: [1, 2, 3], limit: 10 })).map((a) => a.seriesId)).toEqual([2]);
  });
});
