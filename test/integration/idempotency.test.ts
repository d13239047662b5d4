/** Idempotency-Key on ingest (embedded; the scaled-out API uses the same service over Redis). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.dispose();
});

const post = (body: unknown, key?: string) =>
  fetch(`${s.url}/api/v1/points`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key !== undefined ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });
const metric = async (name: string) => {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.split(' ')[1]);
};

describe('Idempotency-Key', () => {
  it('a retried request with the same key is acknowledged without being stored again', async () => {
    const body = { points: [{ metric: 'idem', tags: {}, ts: 1000, value: 1 }] };
    expect((await post(body, 'req-1')).status).toBe(204);
    expect(s.engine.stats.pointsAccepted).toBe(1);
    expect((await post(body, 'req-1')).status).toBe(204);
    expect(s.engine.stats.pointsAccepted).toBe(1);
    expect(await metric('vigil_ingest_deduplicated_requests_total')).toBe(1);
    // Another key, or none, is a new request (its points are then rejected as duplicates).
    expect((await post(body, 'req-2')).status).toBe(204);
    expect((await post(body)).status).toBe(204);
    expect(s.engine.stats.pointsAccepted).toBe(3);
  });

  it('a key that is not 1..255 printable ASCII is a 400 naming the header', async () => {
    const r = await post({ points: [{ metric: 'idem', tags: {}, ts: 2000, value: 1 }] }, 'has space');
    expect(r.status).toBe(400);
    const e = (await r.json()) as { code: string; field: string };
    expect(e.code).toBe('VIGIL_ERR_BAD_REQUEST');
    expect(e.field).toBe('Idempotency-Key');
  });
});
