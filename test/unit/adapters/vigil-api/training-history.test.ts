/**
 * The training history client's paging and error mapping, against a small HTTP stand-in that
 * answers like Vigil's query routes (downsampling past maxPoints, 422 past a point limit). The
 * real server is in test/integration/train.test.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTrainingHistory, VigilApiClient } from '../../../../src/adapters/vigil-api/index.ts';

const POINTS = Array.from({ length: 5000 }, (_, i) => ({ ts: 1000 + i * 10, value: i }));
/** The stand-in refuses a range holding more than this (limits.queryMaxPoints) … */
const LIMIT = 1500;
/** … and downsamples past this (the request's maxPoints is ignored, as if capped lower). */
const KEEP = 800;
let server: Server;
let url: string;
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (u.pathname === '/api/v1/points') {
      requests++;
      const from = Number(u.searchParams.get('from'));
      const to = Number(u.searchParams.get('to'));
      const all = POINTS.filter((p) => p.ts >= from && p.ts < to);
      if (all.length > LIMIT)
        return send(422, { code: 'VIGIL_ERR_QUERY_LIMIT', error: 'narrow from..to', field: 'from' });
      const points = all.length > KEEP ? all.filter((_, i) => i % 2 === 0) : all;
      return send(200, { series: 's', total: all.length, points });
    }
    if (u.pathname === '/api/v1/series') {
      return u.searchParams.get('match') === 'boom'
        ? send(500, { code: 'VIGIL_ERR_STORAGE', error: 'disk on fire' })
        : send(400, { code: 'VIGIL_ERR_BAD_REQUEST', error: 'invalid selector', field: 'match' });
    }
    send(404, { code: 'VIGIL_ERR_NOT_FOUND', error: 'no' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('HttpTrainingHistory', () => {
  it('splits a range until every part comes back whole, and returns every point in order', async () => {
    const h = new HttpTrainingHistory(new VigilApiClient({ url }));
    const p = await h.points('s', 0, 10_000_000);
    expect(p.ts.length).toBe(POINTS.length);
    expect(Array.from(p.values)).toEqual(POINTS.map((x) => x.value));
    expect(requests).toBeGreaterThan(8);
  });

  it("keeps Vigil's error code and field on a 4xx, and makes a 5xx or no answer UNAVAILABLE", async () => {
    const h = new HttpTrainingHistory(new VigilApiClient({ url }));
    await expect(h.series('x{', 10)).rejects.toMatchObject({
      code: 'VIGIL_ERR_BAD_REQUEST',
      location: { field: 'match' },
      message: expect.stringMatching(/answered 400 .*invalid selector/),
    });
    await expect(h.series('boom', 10)).rejects.toMatchObject({
      code: 'VIGIL_ERR_UNAVAILABLE',
      retriable: true,
    });
    const down = new HttpTrainingHistory(new VigilApiClient({ url: 'http://127.0.0.1:1' }));
    await expect(down.series('x', 10)).rejects.toMatchObject({
      code: 'VIGIL_ERR_UNAVAILABLE',
      message: expect.stringMatching(/unreachable/),
    });
    expect(() => new VigilApiClient({ url: 'ftp://x' })).toThrow(/must be http/);
  });
});
