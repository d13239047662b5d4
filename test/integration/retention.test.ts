/**
 * Per-tenant retention on a real embedded server: two tenants, old and new points, the default
 * `limits.retentionMs` for one and a shorter override for the other; one sweep leaves each tenant
 * what its retention keeps, closed anomalies included, and counts what it removed in /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';

const DAY = 86_400_000;
const now = Date.now();
const OLD = now - 3 * DAY;
const NEW = now - 3_600_000;
let s: TestServer;
let keyA = '';
let keyB = '';

async function post(key: string, host: string, t0: number, spikeAt = -1): Promise<void> {
  const points = Array.from({ length: 60 }, (_, i) => ({
    metric: 'cpu',
    tags: { host },
    ts: t0 + i * 60_000,
    value: i === spikeAt ? 500 : 10 + (i % 3),
  }));
  const r = await fetch(`${s.url}/api/v1/points`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ points }),
  });
  expect(r.status).toBe(204);
}

const get = async (key: string, path: string) =>
  (await fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${key}` } })).json();
const pointsOf = async (key: string, host: string) =>
  (
    (await get(
      key,
      `/api/v1/points?series=${encodeURIComponent(`cpu{host="${host}"}`)}&maxPoints=100000`,
    )) as {
      points: { ts: number }[];
    }
  ).points.map((p) => p.ts);
const anomaliesOf = async (key: string) =>
  ((await get(key, '/api/v1/anomalies')) as { anomalies: { series: string; end: number }[] }).anomalies;

beforeAll(async () => {
  s = await startTestServer({
    auth: { mode: 'keys' },
    engine: { detector: 'ewma' },
    // tenant-b keeps the default (5 days), tenant-a 2 days.
    limits: { retentionMs: 5 * DAY, tenants: { 'tenant-a': { retentionMs: 2 * DAY } } },
  });
  keyA = (await s.keys.create({ tenant: 'tenant-a', scopes: ['ingest', 'read'] })).key;
  keyB = (await s.keys.create({ tenant: 'tenant-b', scopes: ['ingest', 'read'] })).key;
  // Old points first, checkpointed into chunks of their own; then the new ones.
  for (const key of [keyA, keyB]) {
    await post(key, 'mixed', OLD, 40);
    await post(key, 'old', OLD);
  }
  await eventually(async () => s.engine.stats.pointsScored === 240);
  await s.engine.checkpoint();
  for (const key of [keyA, keyB]) await post(key, 'mixed', NEW);
  await eventually(async () => s.engine.stats.pointsScored === 360);
  await s.engine.checkpoint();
});
afterAll(async () => {
  await s?.dispose();
});

describe('retention', () => {
  it("drops what is older than each tenant's retention, and only that", async () => {
    const oldAnomaly = (key: string) => anomaliesOf(key).then((l) => l.filter((a) => a.end < NEW));
    const aOld = (await oldAnomaly(keyA)).length;
    expect(aOld).toBeGreaterThan(0);
    const bBefore = { mixed: await pointsOf(keyB, 'mixed'), old: await pointsOf(keyB, 'old') };
    const bAnomalies = await anomaliesOf(keyB);
    expect(bBefore.mixed).toHaveLength(120);

    const removed = await s.retention.sweep();
    expect(removed).toMatchObject({ points: 120, anomalies: aOld });

    // tenant-a: only the new points are left; the series stay listed.
    const aMixed = await pointsOf(keyA, 'mixed');
    expect(aMixed).toHaveLength(60);
    expect(Math.min(...aMixed)).toBe(NEW);
    expect(await pointsOf(keyA, 'old')).toEqual([]);
    expect(await oldAnomaly(keyA)).toEqual([]);
    // tenant-b (5 days): untouched.
    expect({ mixed: await pointsOf(keyB, 'mixed'), old: await pointsOf(keyB, 'old') }).toEqual(bBefore);
    expect(await anomaliesOf(keyB)).toEqual(bAnomalies);

    // A second sweep finds nothing more; the counters hold the first one's removals.
    expect(await s.retention.sweep()).toMatchObject({ points: 0, chunks: 0 });
    const metrics = await (
      await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${keyA}` } })
    ).text();
    expect(metrics).toMatch(/^vigil_retention_points_removed_total 120$/m);
    expect(metrics).toMatch(/^vigil_retention_chunks_removed_total [1-9]/m);
    expect(metrics).toMatch(/^vigil_retention_sweeps_total 2$/m);
  });
});
