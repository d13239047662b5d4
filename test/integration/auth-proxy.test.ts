/**
 * http.trustProxy: behind a load balancer the failed-auth count goes by the client X-Forwarded-For
 * names when the peer is a trusted proxy, and by the TCP peer otherwise (the header is not
 * believed from anyone else). And the tenant a key carries is the one per-tenant limits count.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded.ts';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.dispose();
});

const WRONG = `vgl_${'0'.repeat(16)}_${'A'.repeat(43)}`;

async function statuses(s: TestServer, from: string, xff: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await s.app.inject({
      url: '/api/v1/detectors',
      remoteAddress: from,
      headers: { authorization: `Bearer ${WRONG}`, 'x-forwarded-for': xff },
    });
    out.push(r.statusCode);
  }
  return out;
}

describe('failed-auth limiting behind a proxy', () => {
  it('counts per X-Forwarded-For client when the peer is a trusted proxy', async () => {
    const s = await startTestServer({
      auth: { mode: 'keys', maxFailures: 2 },
      http: { trustProxy: ['10.1.0.0/16'] },
    });
    servers.push(s);
    expect(await statuses(s, '10.1.0.7', '203.0.113.5', 3)).toEqual([401, 401, 429]);
    // Another client through the same balancer is not held back.
    expect(await statuses(s, '10.1.0.7', '203.0.113.6', 1)).toEqual([401]);
    // A peer that is not a trusted proxy cannot pick its address by header.
    expect(await statuses(s, '192.0.2.1', '203.0.113.7', 3)).toEqual([401, 401, 429]);
    expect(await statuses(s, '192.0.2.1', '203.0.113.8', 1)).toEqual([429]);
  });

  it('without trustProxy every client behind the balancer shares the peer’s count', async () => {
    const s = await startTestServer({ auth: { mode: 'keys', maxFailures: 2 } });
    servers.push(s);
    expect(await statuses(s, '10.1.0.7', '203.0.113.5', 2)).toEqual([401, 401]);
    expect(await statuses(s, '10.1.0.7', '203.0.113.6', 1)).toEqual([429]);
  });
});

describe('the key’s tenant reaches the per-tenant limits', () => {
  it('limits.tenants.<name> applies to requests with that tenant’s key, not to others', async () => {
    const s = await startTestServer({
      auth: { mode: 'keys' },
      limits: { tenants: { slow: { ingestPointsPerSecond: 10, ingestBurstPoints: 20 } } },
    });
    servers.push(s);
    const slow = (await s.keys.create({ tenant: 'slow', scopes: ['ingest', 'read'] })).key;
    const other = (await s.keys.create({ scopes: ['ingest', 'read'] })).key;
    let ts = 1_700_000_000_000;
    const post = (key: string, n: number) =>
      s.app.inject({
        method: 'POST',
        url: '/api/v1/points',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        payload: JSON.stringify({
          points: Array.from({ length: n }, () => ({ metric: 't', ts: ts++, value: 1 })),
        }),
      });
    expect((await post(other, 50)).statusCode).toBe(204);
    expect((await post(slow, 15)).statusCode).toBe(204);
    expect((await post(slow, 15)).statusCode).toBe(429);
    expect((await post(other, 50)).statusCode).toBe(204);
    const m = await s.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${other}` } });
    expect(m.body).toMatch(/vigil_limit_refusals_total\{tenant="slow",limit="ingestPointsPerSecond"\} 1/);
  });
});
