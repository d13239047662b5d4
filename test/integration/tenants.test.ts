/**
 * Tenants live in the series key (core/series.ts TENANT_TAG): a series ingested for tenant `acme`
 * is stored under its own key and id, invisible to the default tenant's queries, and no client can
 * name the tag to reach it. (Until API keys set the tenant, the tenant is given to IngestService.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';

let server: TestServer;
const T = Date.UTC(2026, 0, 1);

beforeAll(async () => {
  server = await startTestServer();
  const points = (v: number) =>
    Array.from({ length: 20 }, (_, i) => ({
      metric: 'cpu',
      tags: { host: 'a' },
      ts: T + i * 60_000,
      value: v + i,
    }));
  await server.ingest.ingest(points(100), undefined, undefined, 'acme');
  const r = await fetch(`${server.url}/api/v1/points`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ points: points(0) }),
  });
  expect(r.status).toBe(204);
  await eventually(async () => server.engine.stats.pointsScored === 40);
});
afterAll(async () => {
  await server?.dispose();
});

const get = async (path: string) => {
  const r = await fetch(`${server.url}${path}`);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

describe('tenants separated in the storage keys', () => {
  it('the same series name is two series, keyed apart', () => {
    expect(server.knownSeries('cpu{host="a"}')).toBe(true);
    expect(server.knownSeries('cpu{__tenant__="acme",host="a"}')).toBe(true);
  });

  it("the default tenant's queries see only its own series and points", async () => {
    const series = await get(`/api/v1/series?match=${encodeURIComponent('{host="a"}')}`);
    expect(series.body.series).toEqual([{ key: 'cpu{host="a"}', metric: 'cpu', tags: { host: 'a' } }]);
    const pts = await get(`/api/v1/points?series=${encodeURIComponent('cpu{host="a"}')}`);
    expect((pts.body.points as { value: number }[]).map((p) => p.value)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    const all = await get('/api/v1/series');
    expect((all.body.series as { key: string }[]).map((s) => s.key)).toEqual(['cpu{host="a"}']);
  });

  it("another tenant's key is not a key a client can name: 404 on every series route", async () => {
    const key = encodeURIComponent('cpu{__tenant__="acme",host="a"}');
    expect((await get(`/api/v1/points?series=${key}`)).status).toBe(404);
    expect((await get(`/api/v1/series/config?series=${key}`)).status).toBe(404);
    expect((await get(`/api/v1/anomalies?series=${key}`)).status).toBe(404);
    expect(
      (await get(`/api/v1/series?match=${encodeURIComponent('{__tenant__="acme"}')}`)).body.series,
    ).toEqual([]);
  });

  it("a client naming the tenant tag on ingest is refused, even where that tenant's series exists", async () => {
    for (const ct of ['application/json', 'application/x-ndjson']) {
      const pt = { metric: 'cpu', tags: { host: 'a', __tenant__: 'acme' }, ts: T + 3_600_000, value: 1 };
      const r = await fetch(`${server.url}/api/v1/points`, {
        method: 'POST',
        headers: { 'content-type': ct },
        body: ct === 'application/json' ? JSON.stringify({ points: [pt] }) : `${JSON.stringify(pt)}\n`,
      });
      expect(r.status, ct).toBe(400);
      expect(await r.json()).toMatchObject({ code: 'VIGIL_ERR_BAD_POINT', field: 'tags.__tenant__' });
    }
    const lp = await fetch(`${server.url}/write?precision=ms`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: `cpu,__tenant__=acme,host=a value=1 ${T + 3_600_000}`,
    });
    expect(lp.status).toBe(400);
    expect(server.engine.stats.pointsAccepted).toBe(40);
  });
});
