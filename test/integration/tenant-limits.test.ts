/**
 * Per-tenant limits beyond points/s, on a real embedded server with keys: series count
 * (limits.maxSeries), request body size (limits.bodyLimitBytes, with and without Content-Length),
 * and query cost (limits.queryMaxPoints, limits.queryMaxRangeMs). One tenant over its limit is
 * refused with the documented code and counted in /metrics; another tenant is not touched.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';

let s: TestServer;
let small = '';
let other = '';
beforeAll(async () => {
  s = await startTestServer({
    auth: { mode: 'keys' },
    limits: {
      tenants: {
        small: {
          maxSeries: 3,
          bodyLimitBytes: 2048,
          queryMaxPoints: 50,
          queryMaxRangeMs: 3_600_000,
          maxAlertRules: 2,
          maxSilences: 1,
        },
      },
    },
  });
  small = (await s.keys.create({ tenant: 'small', scopes: ['ingest', 'read', 'configure'] })).key;
  other = (await s.keys.create({ tenant: 'other', scopes: ['ingest', 'read', 'configure'] })).key;
});
afterAll(async () => {
  await s?.dispose();
});

const T0 = 1_700_000_000_000;
const points = (host: string, n: number, from = T0) =>
  Array.from({ length: n }, (_, i) => ({ metric: 'cpu', tags: { host }, ts: from + i * 1000, value: i % 7 }));
const post = (key: string, body: unknown) =>
  s.app.inject({
    method: 'POST',
    url: '/api/v1/points',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
const metrics = async () =>
  (await s.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${other}` } })).body;

describe('per-tenant limits', () => {
  it('limits.maxSeries: the tenant past it gets 422, another tenant is not limited', async () => {
    expect((await post(small, { points: [...points('a', 1), ...points('b', 1)] })).statusCode).toBe(204);
    expect((await post(small, { points: points('c', 1) })).statusCode).toBe(204);
    const over = await post(small, { points: points('d', 1) });
    expect(over.statusCode).toBe(422);
    expect(over.json()).toMatchObject({ code: 'VIGIL_ERR_SERIES_LIMIT' });
    expect(over.json().message).toContain('limits.maxSeries 3');
    // Known series still take points.
    expect((await post(small, { points: points('a', 1, T0 + 5000) })).statusCode).toBe(204);
    for (const h of ['a', 'b', 'c', 'd', 'e']) {
      expect((await post(other, { points: points(h, 1) })).statusCode).toBe(204);
    }
    expect(await metrics()).toMatch(/vigil_limit_refusals_total\{tenant="small",limit="maxSeries"\} 1/);
  });

  it('limits.bodyLimitBytes: 413 on Content-Length, and on a chunked body once it passes the limit', async () => {
    const big = JSON.stringify({ points: points('a', 40, T0 + 100_000) });
    expect(big.length).toBeGreaterThan(2048);
    const r = await post(small, JSON.parse(big));
    expect(r.statusCode).toBe(413);
    expect(r.json()).toMatchObject({ code: 'VIGIL_ERR_BODY_TOO_LARGE' });
    expect(r.json().message).toContain('limits.bodyLimitBytes');
    expect((await post(other, JSON.parse(big))).statusCode).toBe(204);

    // Chunked (no Content-Length): counted as it arrives.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${s.url}/api/v1/points`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${small}`, 'content-type': 'application/json' },
        },
        (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < big.length; i += 500) req.write(big.slice(i, i + 500));
      req.end();
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ code: 'VIGIL_ERR_BODY_TOO_LARGE' });
    expect(await metrics()).toMatch(/vigil_limit_refusals_total\{tenant="small",limit="bodyLimitBytes"\} 2/);
  });

  it('limits.queryMaxRangeMs and queryMaxPoints: 422 naming the range; another tenant reads it all', async () => {
    const series = encodeURIComponent('cpu{host="b"}');
    for (let i = 0; i < 4; i++) {
      const from = T0 + 10_000 + i * 20_000;
      expect((await post(small, { points: points('b', 20, from) })).statusCode).toBe(204);
      expect((await post(other, { points: points('b', 20, from) })).statusCode).toBe(204);
    }
    const get = (key: string, q: string) =>
      s.app.inject({
        url: `/api/v1/points?series=${series}${q}`,
        headers: { authorization: `Bearer ${key}` },
      });
    // All 81 points of "other" readable once scored; "small" has the same.
    await eventually(async () => (await get(other, '')).json().total === 81);
    const noRange = await get(small, '');
    expect(noRange.statusCode).toBe(422);
    expect(noRange.json()).toMatchObject({ code: 'VIGIL_ERR_QUERY_LIMIT', field: 'from' });
    const tooLong = await get(small, `&from=${T0}&to=${T0 + 7_200_000}`);
    expect(tooLong.statusCode).toBe(422);
    expect(tooLong.json()).toMatchObject({ code: 'VIGIL_ERR_QUERY_LIMIT', field: 'to' });
    const tooMany = await get(small, `&from=${T0}&to=${T0 + 3_600_000}`);
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.json().message).toContain('limits.queryMaxPoints (50)');
    const fits = await get(small, `&from=${T0 + 10_000}&to=${T0 + 50_000}`);
    expect(fits.statusCode, fits.body).toBe(200);
    expect(fits.json().total).toBe(40);
    const m = await metrics();
    expect(m).toMatch(/vigil_limit_refusals_total\{tenant="small",limit="queryMaxRangeMs"\} 2/);
    expect(m).toMatch(/vigil_limit_refusals_total\{tenant="small",limit="queryMaxPoints"\} 1/);
  });

  it('limits.maxAlertRules and maxSilences: 422 past the count; a replace and another tenant go through', async () => {
    const send = (key: string, method: string, url: string, body: unknown) =>
      s.app.inject({
        method: method as 'POST',
        url,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
    for (const name of ['r1', 'r2']) {
      expect((await send(small, 'POST', '/api/v1/alert-rules', { name, match: 'cpu' })).statusCode).toBe(201);
    }
    const over = await send(small, 'POST', '/api/v1/alert-rules', { name: 'r3', match: 'cpu' });
    expect(over.statusCode).toBe(422);
    expect(over.json()).toMatchObject({ code: 'VIGIL_ERR_OBJECT_LIMIT' });
    expect(over.json().message).toContain('limits.maxAlertRules');
    // Replacing a stored rule adds none.
    expect((await send(small, 'PUT', '/api/v1/alert-rules/r2', { match: 'mem' })).statusCode).toBe(200);
    for (const name of ['r1', 'r2', 'r3']) {
      expect((await send(other, 'POST', '/api/v1/alert-rules', { name, match: 'cpu' })).statusCode).toBe(201);
    }
    const now = Date.now();
    const silence = { match: '{host="a"}', startsAt: now, endsAt: now + 3_600_000 };
    expect((await send(small, 'POST', '/api/v1/silences', silence)).statusCode).toBe(201);
    const second = await send(small, 'POST', '/api/v1/silences', silence);
    expect(second.statusCode).toBe(422);
    expect(second.json().message).toContain('limits.maxSilences');
    expect((await send(other, 'POST', '/api/v1/silences', silence)).statusCode).toBe(201);
    const m = await metrics();
    expect(m).toMatch(/vigil_limit_refusals_total\{tenant="small",limit="maxAlertRules"\} 1/);
    expect(m).toMatch(/vigil_limit_refusals_total\{tenant="small",limit="maxSilences"\} 1/);
  });
});
