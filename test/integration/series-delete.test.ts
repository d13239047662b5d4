/**
 * DELETE /api/v1/series on a real embedded server: the series goes with its points, anomalies and
 * config; every other series (the same tenant's, another tenant's of the same name) stays byte for
 * byte; another tenant cannot delete it; it stays gone across a restart; and the same key ingested
 * again is a new series whose scores equal those of a series never seen before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedServer, startEmbedded } from '../../src/app/embedded.ts';
import { validateConfig } from '../../src/config/load.ts';
import { eventually } from '../helpers/embedded.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'vigil-delete-'));
const config = validateConfig({
  dataDir,
  logLevel: 'silent',
  auth: { mode: 'keys' },
  http: { host: '127.0.0.1', port: 0 },
  engine: { checkpointIntervalMs: 50, detector: 'ewma' },
});
let s: EmbeddedServer;
let keyA = '';
let keyB = '';
let configureA = '';
const T = Date.now() - 3_600_000;

const values = (n: number, spikeAt: number) =>
  Array.from({ length: n }, (_, i) => (i === spikeAt ? 500 : 10 + (i % 3)));

async function post(key: string, host: string, vs: number[], t0 = T): Promise<void> {
  const points = vs.map((value, i) => ({ metric: 'cpu', tags: { host }, ts: t0 + i * 60_000, value }));
  const r = await fetch(`${s.url}/api/v1/points`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ points }),
  });
  expect(r.status).toBe(204);
}

const call = (key: string, path: string, method = 'GET') =>
  fetch(`${s.url}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
const text = async (key: string, path: string) => (await call(key, path)).text();
const q = (host: string) => encodeURIComponent(`cpu{host="${host}"}`);
const pointsOf = (key: string, host: string) =>
  text(key, `/api/v1/points?series=${q(host)}&maxPoints=100000`);
const anomaliesOf = (key: string, host: string) => text(key, `/api/v1/anomalies?series=${q(host)}`);
const seriesOf = async (key: string) =>
  ((await (await call(key, '/api/v1/series')).json()) as { series: { key: string }[] }).series.map(
    (x) => x.key,
  );

/** What must not change: A's y and B's x, points and anomalies, as the API answers them. */
async function others() {
  return {
    yPoints: await pointsOf(keyA, 'y'),
    yAnomalies: await anomaliesOf(keyA, 'y'),
    bPoints: await pointsOf(keyB, 'x'),
    bAnomalies: await anomaliesOf(keyB, 'x'),
  };
}

beforeAll(async () => {
  s = await startEmbedded(config);
  keyA = (await s.keys.create({ tenant: 'tenant-a', scopes: ['ingest', 'read', 'configure', 'admin'] })).key;
  configureA = (await s.keys.create({ tenant: 'tenant-a', scopes: ['read', 'configure'] })).key;
  keyB = (await s.keys.create({ tenant: 'tenant-b', scopes: ['ingest', 'read', 'configure', 'admin'] })).key;
  await post(keyA, 'x', values(60, 40));
  await post(keyA, 'y', values(60, 45));
  await post(keyB, 'x', values(60, 50));
  await eventually(async () => s.engine.stats.pointsScored === 180);
  await s.engine.checkpoint();
});
afterAll(async () => {
  await s?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('DELETE /api/v1/series', () => {
  let before: Awaited<ReturnType<typeof others>>;

  it('deletes one series of its tenant with its points, anomalies and config; nothing else', async () => {
    const put = await fetch(`${s.url}/api/v1/series/config?series=${q('x')}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
      body: JSON.stringify({ threshold: 0.77 }),
    });
    expect(put.status).toBe(200);
    expect(JSON.parse(await anomaliesOf(keyA, 'x')).anomalies.length).toBeGreaterThan(0);
    before = await others();
    expect(JSON.parse(before.yAnomalies).anomalies.length).toBeGreaterThan(0);

    // Another tenant cannot reach it: a key of B names B's own series only.
    expect((await call(keyB, `/api/v1/series?series=${q('y')}`, 'DELETE')).status).toBe(404);
    const none = await call(keyB, `/api/v1/series?match=${encodeURIComponent('{host="y"}')}`, 'DELETE');
    expect(await none.json()).toEqual({ series: 0, points: 0, anomalies: 0 });
    // The scope is admin: configure is not enough.
    expect((await call(configureA, `/api/v1/series?series=${q('x')}`, 'DELETE')).status).toBe(403);
    expect(await seriesOf(keyA)).toContain('cpu{host="x"}');

    const r = await call(keyA, `/api/v1/series?series=${q('x')}`, 'DELETE');
    expect(r.status).toBe(200);
    const deleted = (await r.json()) as { series: number; points: number; anomalies: number };
    expect(deleted.series).toBe(1);
    expect(deleted.points).toBe(60);
    expect(deleted.anomalies).toBeGreaterThan(0);

    expect(await seriesOf(keyA)).toEqual(['cpu{host="y"}']);
    expect(await seriesOf(keyB)).toEqual(['cpu{host="x"}']);
    expect((await call(keyA, `/api/v1/points?series=${q('x')}`)).status).toBe(404);
    expect((await call(keyA, `/api/v1/series/config?series=${q('x')}`)).status).toBe(404);
    const all = (await (await call(keyA, '/api/v1/anomalies')).json()) as { anomalies: { series: string }[] };
    expect(all.anomalies.map((a) => a.series)).not.toContain('cpu{host="x"}');
    expect(await others()).toEqual(before);
    // A second delete finds nothing.
    expect((await call(keyA, `/api/v1/series?series=${q('x')}`, 'DELETE')).status).toBe(404);
    const metrics = await text(keyA, '/metrics');
    expect(metrics).toMatch(/^vigil_series_deleted_total 1$/m);
    // Recorded in the audit log, as every change through an admin route.
    const audit = (await (await call(keyA, '/api/v1/audit?action=DELETE')).json()) as {
      events: { action: string; target: string }[];
    };
    expect(audit.events.map((e) => e.action)).toEqual(['DELETE /api/v1/series']);
  });

  it('refuses a request naming both or neither of series and match', async () => {
    const both = await call(keyA, `/api/v1/series?series=${q('y')}&match=${q('y')}`, 'DELETE');
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({ code: 'VIGIL_ERR_BAD_REQUEST', field: 'match' });
    const neither = await call(keyA, '/api/v1/series', 'DELETE');
    expect(await neither.json()).toMatchObject({ code: 'VIGIL_ERR_BAD_REQUEST', field: 'series' });
    expect(await seriesOf(keyA)).toEqual(['cpu{host="y"}']);
  });

  it('stays deleted across a restart; the key ingested again is a new series with a fresh state', async () => {
    await s.close();
    s = await startEmbedded(config);
    expect(await seriesOf(keyA)).toEqual(['cpu{host="y"}']);
    expect((await call(keyA, `/api/v1/points?series=${q('x')}`)).status).toBe(404);
    expect(await others()).toEqual(before);

    // After the deleted points in time, so an old state would also refuse nothing: only the
    // scores tell a fresh state from a kept one. z never existed: x must score exactly as z.
    const t2 = T + 120 * 60_000;
    const scored = s.engine.stats.pointsScored;
    await post(keyA, 'x', values(40, 30), t2);
    await post(keyA, 'z', values(40, 30), t2);
    await eventually(async () => s.engine.stats.pointsScored === scored + 80);
    const x = JSON.parse(await pointsOf(keyA, 'x'));
    const z = JSON.parse(await pointsOf(keyA, 'z'));
    expect(x.total).toBe(40);
    expect(x.points).toEqual(z.points);
    const cfg = (await (await call(keyA, `/api/v1/series/config?series=${q('x')}`)).json()) as {
      threshold: number;
    };
    expect(cfg.threshold).not.toBe(0.77);
    expect(await others()).toEqual(before);
  });
});
