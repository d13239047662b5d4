/**
 * Maintenance windows scaled out, on real PostgreSQL, Kafka, InfluxDB and Redis: a `vigil api`, a
 * `vigil processor` and a `vigil detector` started in this process. A maintenance window created
 * through the API is stored in PostgreSQL; the detector reads it within `engine.configPollMs` and
 * scores the covered series' points in it without learning: none flagged, and the level shift
 * they carry is still flagged after the window. The same series name of another tenant, which the
 * window does not cover, learns the shift as normal.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCache } from '../../src/adapters/memory/cache.ts';
import { PgApiKeyStore, PgPools } from '../../src/adapters/postgres/index.ts';
import { startApi } from '../../src/app/api.ts';
import { authWiring } from '../../src/app/auth-wiring.ts';
import { startDetector } from '../../src/app/detector.ts';
import { startProcessor } from '../../src/app/processor.ts';
import { validateConfig } from '../../src/config/load.ts';
import { eventually } from '../helpers/embedded.ts';
import { service } from '../support/services.ts';

const run = `t${randomBytes(4).toString('hex')}`;
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const SERIES = encodeURIComponent('mw{host="x"}');

let api: Awaited<ReturnType<typeof startApi>>;
let processor: Awaited<ReturnType<typeof startProcessor>>;
let detector: Awaited<ReturnType<typeof startDetector>>;
let pools: PgPools;
let keyA = '';
let keyB = '';
/** The window's id. */
let windowId = '';

/** Level 10 before point 100, then a level shift to 50 that lasts. */
async function ingest(key: string, from: number, to: number): Promise<void> {
  const points = Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    return {
      metric: 'mw',
      tags: { host: 'x' },
      ts: T0 + i * 1000,
      value: (i < 100 ? 10 : 50) + Math.sin(i) * 0.5,
    };
  });
  const r = await fetch(`${api.url}/api/v1/points`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ points }),
  });
  expect(r.status).toBe(204);
}

async function get(key: string, path: string): Promise<Record<string, unknown>> {
  const r = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  expect(r.status).toBe(200);
  return (await r.json()) as Record<string, unknown>;
}

const flags = async (key: string, from: number, to: number) =>
  (
    (await get(key, `/api/v1/points?series=${SERIES}&from=${T0 + from * 1000}&to=${T0 + to * 1000}`))
      .points as { anomalous: boolean }[]
  ).map((p) => p.anomalous);

const anomalyStarts = async (key: string) =>
  ((await get(key, `/api/v1/anomalies?series=${SERIES}`)).anomalies as { start: number }[]).map(
    (a) => a.start,
  );

/** Until the detector has taken `n` points, then everything scored is checkpointed (stored). */
async function settled(n: number): Promise<void> {
  await eventually(async () => detector.tasks.stats().pointsScored >= n, 60_000);
  await detector.tasks.checkpointAll();
  await detector.tasks.checkpointAll();
}

beforeAll(async () => {
  const pg = service('postgres');
  const base = {
    logLevel: 'silent',
    auth: { mode: 'keys' },
    http: { host: '127.0.0.1', port: 0 },
    engine: {
      checkpointIntervalMs: 100,
      configPollMs: 200,
      allowedLatenessMs: 86_400_000,
      pipeline: {
        detector: { name: 'ewma', params: { alpha: 0.1, bandSigmas: 3, warmup: 5, minStd: 1e-9 } },
        calibration: { name: 'none' },
        threshold: 0.999,
        postRules: [],
      },
    },
    kafka: { brokers: service('kafka').VIGIL_KAFKA_BROKERS!, topicPrefix: `vigil-${run}`, partitions: 2 },
    postgres: { url: pg.VIGIL_PG_URL!, schema: run },
    influx: { url: service('influxdb').VIGIL_INFLUX_URL!, database: run },
    redis: { nodes: service('redis').VIGIL_REDIS_NODES!, keyPrefix: `${run}:` },
  };
  const config = validateConfig(base);
  api = await startApi(config);
  processor = await startProcessor(config);
  detector = await startDetector(config);
  pools = new PgPools({ url: pg.VIGIL_PG_URL!, schema: run, poolSize: 2 });
  const { keys } = await authWiring(
    config,
    new PgApiKeyStore(pools),
    new MemoryCache(),
    pino({ level: 'silent' }),
  );
  const all = ['ingest', 'read', 'configure', 'admin'] as const;
  keyA = (await keys.create({ tenant: 'tenant-a', scopes: [...all] })).key;
  keyB = (await keys.create({ tenant: 'tenant-b', scopes: [...all] })).key;
}, 180_000);

afterAll(async () => {
  for (const role of [api, processor, detector]) await role?.close();
  await pools?.close();
}, 60_000);

describe('maintenance windows, scaled out', () => {
  it('vigil detector takes a window stored in PostgreSQL within the poll and pauses learning', async () => {
    await ingest(keyA, 0, 100);
    await ingest(keyB, 0, 100);
    await settled(200);
    expect(detector.tasks.maintenance.size).toBe(0);

    const created = await fetch(`${api.url}/api/v1/silences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        match: 'mw{host="x"}',
        startsAt: T0 + 100_000,
        endsAt: T0 + 200_000,
        kind: 'maintenance',
      }),
    });
    expect(created.status).toBe(201);
    windowId = ((await created.json()) as { id: string }).id;
    // The detector learns of it from PostgreSQL (no call reaches it): one series, tenant-a's.
    await eventually(async () => detector.tasks.maintenance.size === 1, 30_000);
    expect([...detector.tasks.maintenance.values()]).toEqual([
      [{ id: windowId, startsAt: T0 + 100_000, endsAt: T0 + 200_000 }],
    ]);

    // vigil api shows it in the series' config (it ended an hour ago: not in force now).
    expect((await get(keyA, `/api/v1/series/config?series=${SERIES}`)).maintenance).toEqual({
      learningPaused: false,
      windows: [{ id: windowId, startsAt: T0 + 100_000, endsAt: T0 + 200_000 }],
    });
    expect((await get(keyB, `/api/v1/series/config?series=${SERIES}`)).maintenance).toBeUndefined();

    await ingest(keyA, 100, 210);
    await ingest(keyB, 100, 210);
    await settled(420);
    expect(detector.tasks.stats().pointsLearningPaused).toBe(100);

    const a = await flags(keyA, 100, 210);
    expect(a).toHaveLength(110);
    expect(a.slice(0, 100).some((f) => f)).toBe(false);
    expect(a[100]).toBe(true);
    expect(await anomalyStarts(keyA)).toEqual([T0 + 200_000]);

    // tenant-b's series of the same name is not covered: the shift is flagged, then learnt.
    const b = await flags(keyB, 100, 210);
    expect(b[0]).toBe(true);
    expect(b[100]).toBe(false);
    expect(await anomalyStarts(keyB)).toContain(T0 + 100_000);
  });

  it('deleting the window reaches the detector the same way', async () => {
    const del = await fetch(`${api.url}/api/v1/silences/${windowId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${keyA}` },
    });
    expect(del.status).toBe(204);
    await eventually(async () => detector.tasks.maintenance.size === 0, 30_000);
  });
});
