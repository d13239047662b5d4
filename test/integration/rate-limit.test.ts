/** ingest.rateLimitRequestsPerSecond: requests above the limit get 429 with Retry-After. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ ingest: { rateLimitRequestsPerSecond: 1 } });
});
afterAll(async () => {
  await s.dispose();
});

describe('ingest rate limit', () => {
  it('refuses requests above the limit with 429, Retry-After and nothing stored', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    let code = '';
    // 10 requests, each one new point: at a limit of 1 per second, all could pass only if they
    // spread over 10 seconds.
    for (let i = 0; i < 10; i++) {
      const r = await fetch(`${s.url}/api/v1/points`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ points: [{ metric: 'rl', tags: {}, ts: 1000 + i, value: i }] }),
      });
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get('retry-after');
        code = ((await r.json()) as { code: string }).code;
      }
    }
    const accepted = statuses.filter((x) => x === 204).length;
    expect(statuses.every((x) => x === 204 || x === 429)).toBe(true);
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(accepted).toBeLessThan(10);
    expect(code).toBe('VIGIL_ERR_RATE_LIMITED');
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(s.engine.stats.pointsAccepted).toBe(accepted);
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toContain(`vigil_ingest_rate_limited_requests_total ${10 - accepted}`);
  });
});
