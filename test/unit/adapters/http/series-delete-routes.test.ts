/**
 * DELETE /api/v1/series on a bare fastify app with a stand-in backend: the per-request cap (a
 * selector over more than MAX_DELETE series deletes nothing and names `match`), exactly one of
 * `series` and `match`, and 404 for an unknown key.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandler } from '../../../../src/adapters/http/errors.ts';
import type { QueryBackend } from '../../../../src/adapters/http/query-routes.ts';
import { MAX_DELETE, seriesDeleteRoutes } from '../../../../src/adapters/http/series-delete-routes.ts';
import { seriesKey } from '../../../../src/core/series.ts';
import type { SeriesInfo } from '../../../../src/ports/series-catalog.ts';

const stored: SeriesInfo[] = Array.from({ length: MAX_DELETE + 1 }, (_, i) => {
  const tags = { host: `h${i}`, big: i < MAX_DELETE ? 'yes' : 'no' };
  return { id: i + 1, key: seriesKey('cpu', tags), metric: 'cpu', tags, createdMs: 0 };
});
const deleted: number[][] = [];
const backend = {
  series: async () => stored,
  seriesByKey: async (key: string) => stored.find((s) => s.key === key),
  deleteSeries: async (ids: number[]) => {
    deleted.push(ids);
    return { series: ids.length, points: 0, anomalies: 0 };
  },
} as unknown as QueryBackend;

let app: FastifyInstance;
beforeAll(async () => {
  app = Fastify();
  installErrorHandler(app, () => 1);
  await app.register(seriesDeleteRoutes, {
    backend: { forTenant: () => backend },
    limits: { queryOf: () => ({ maxPoints: 1e9, maxRangeMs: 0, timeoutMs: 10_000 }), refused: () => {} },
  });
  await app.ready();
});
afterAll(() => app.close());

const del = (query: string) => app.inject({ method: 'DELETE', url: `/api/v1/series?${query}` });

describe('DELETE /api/v1/series', () => {
  it(`refuses a selector over more than ${MAX_DELETE} series, deleting nothing`, async () => {
    const r = await del(`match=${encodeURIComponent('cpu')}`);
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'VIGIL_ERR_BAD_REQUEST', field: 'match' });
    expect(deleted).toEqual([]);
  });

  it(`deletes up to ${MAX_DELETE} series in one request`, async () => {
    const r = await del(`match=${encodeURIComponent('cpu{big="yes"}')}`);
    expect(r.json()).toEqual({ series: MAX_DELETE, points: 0, anomalies: 0 });
    expect(deleted.pop()).toHaveLength(MAX_DELETE);
  });

  it('takes exactly one of series and match; an unknown key is 404', async () => {
    expect((await del('')).json()).toMatchObject({ field: 'series' });
    expect((await del(`series=cpu&match=cpu`)).json()).toMatchObject({ field: 'match' });
    expect((await del(`series=${encodeURIComponent('cpu{host="nope"}')}`)).statusCode).toBe(404);
    const one = await del(`series=${encodeURIComponent(stored[3]!.key)}`);
    expect(one.json()).toMatchObject({ series: 1 });
    expect(deleted.pop()).toEqual([4]);
  });
});
