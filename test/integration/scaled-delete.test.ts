/**
 * Deletion and retention scaled out, on real PostgreSQL, InfluxDB, Kafka and Redis: two `vigil api`,
 * a `vigil processor` and a `vigil detector` started in this process. DELETE through one API
 * removes the series from queries, its points from InfluxDB and its catalog row, config,
 * anomalies and checkpointed state from PostgreSQL, and leaves another tenant's series of the same
 * name byte for byte; the other API, which cached the key, resolves it to a new id after its
 * tombstone poll; points of the old id still on their way (ingested through that API before the
 * poll) are dropped by the detector; the key ingested again scores like a series never seen. The
 * retention sweep removes exactly what each tenant's cutoff covers, and only one API claims a
 * sweep per interval.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCache } from '../../src/adapters/memory/cache.ts';
import {
  PgApiKeyStore,
  PgPools,
  PgRetention,
  PgSeriesTombstones,
} from '../../src/adapters/postgres/index.ts';
import { connectRedis, RedisCheckpointStates, type RedisConnection } from '../../src/adapters/redis/index.ts';
import { startApi } from '../../src/app/api.ts';
import { authWiring } from '../../src/app/auth-wiring.ts';
import { startDetector } from '../../src/app/detector.ts';
import { startProcessor } from '../../src/app/processor.ts';
import { validateConfig } from '../../src/config/load.ts';
import { partitionOf } from '../../src/core/partitioner.ts';
import { eventually } from '../helpers/embedded.ts';
import { service } from '../support/services.ts';

let run = '';
const DAY = 86_400_000;
const HOUR = 3_600_000;
const T = Date.now() - 3 * HOUR;

type Api = Awaited<ReturnType<typeof startApi>>;
let api1: Api;
let api2: Api;
let processor: Awaited<ReturnType<typeof startProcessor>>;
let detector: Awaited<ReturnType<typeof startDetector>>;
let pools: PgPools;
let influxUrl = '';
/** With redis.checkpointStates: where the detector keeps its states. */
let redis: RedisConnection | undefined;
let keyA = '';
let keyB = '';

const values = (n: number, spikeAt: number[]) =>
  Array.from({ length: n }, (_, i) => (spikeAt.includes(i) ? 500 : 10 + (i % 3)));

async function post(url: string, key: string, host: string, vs: number[], t0 = T, step = 60_000) {
  const points = vs.map((value, i) => ({ metric: 'cpu', tags: { host }, ts: t0 + i * step, value }));
  const r = await fetch(`${url}/api/v1/points`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ points }),
  });
  expect(r.status).toBe(204);
}

const call = (key: string, path: string, method = 'GET', url = api1.url) =>
  fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
const q = (host: string) => encodeURIComponent(`cpu{host="${host}"}`);
const pointsOf = async (key: string, host: string) =>
  (
    (await (await call(key, `/api/v1/points?series=${q(host)}&maxPoints=100000`)).json()) as {
      points: { ts: number; score: number | null }[];
    }
  ).points;
const anomaliesOf = async (key: string, host: string) =>
  (
    (await (await call(key, `/api/v1/anomalies?series=${q(host)}&limit=1000`)).json()) as {
      anomalies: { end: number; open?: boolean }[];
    }
  ).anomalies;
const idOf = async (tenant: string, host: string) => {
  const tags = tenant === 'default' ? '' : `__tenant__="${tenant}",`;
  const rows = await pools.primary('test', 'SELECT id FROM series WHERE key = $1', [
    `cpu{${tags}host="${host}"}`,
  ]);
  return rows.length === 0 ? undefined : Number(rows[0]!.id);
};
const count = async (table: string, id: number) =>
  Number(
    (await pools.primary('test', `SELECT count(*) AS n FROM ${table} WHERE series_id = $1`, [id]))[0]!.n,
  );

/** Whether the detector's checkpoint holds a state of the series (PostgreSQL, or Redis). */
async function stateStored(id: number, key: string): Promise<boolean> {
  if (redis === undefined) return (await count('checkpoint_states', id)) > 0;
  const states = new RedisCheckpointStates(redis, partitionOf(key, 2), {
    keyPrefix: `${run}:vigil-${run}.points:`,
  });
  return (await states.load()).states.has(id);
}

/** Points InfluxDB holds of a series id (`extra`: more InfluxQL conditions). */
async function influxCount(id: number, extra = ''): Promise<number> {
  // One field of each influx.layout is written with every point: `missing` (fields), `band` (compact).
  const query = `SELECT count("missing"), count("band") FROM /.*/ WHERE "vigil_sid" = '${id}'${extra}`;
  const r = await fetch(`${influxUrl}/query?db=${run}&q=${encodeURIComponent(query)}`);
  const body = (await r.json()) as {
    results: { series?: { values: [string, number | null, number | null][] }[] }[];
  };
  let n = 0;
  for (const s of body.results[0]?.series ?? [])
    for (const row of s.values) n += (row[1] ?? 0) + (row[2] ?? 0);
  return n;
}

/** Until the detector has taken `n` points in all, then everything scored is checkpointed. */
async function settled(n: number): Promise<void> {
  await eventually(async () => detector.tasks.stats().pointsAccepted >= n, 60_000);
  await detector.tasks.checkpointAll();
  await detector.tasks.checkpointAll();
}

describe.each([false, true])('redis.checkpointStates %s', (redisStates) => {
  beforeAll(async () => {
    run = `t${randomBytes(4).toString('hex')}`;
    const pg = service('postgres');
    influxUrl = service('influxdb').VIGIL_INFLUX_URL!;
    const brokers = service('kafka').VIGIL_KAFKA_BROKERS!;
    const nodes = service('redis').VIGIL_REDIS_NODES!;
    const base = {
      logLevel: 'silent',
      auth: { mode: 'keys' },
      http: { host: '127.0.0.1', port: 0 },
      engine: { checkpointIntervalMs: 100, configPollMs: 200, detector: 'ewma', allowedLatenessMs: 20 * DAY },
      storage: { retentionSweepMs: 0 },
      limits: { retentionMs: 0, tenants: { 'tenant-a': { retentionMs: 5 * DAY } } },
      kafka: { brokers, topicPrefix: `vigil-${run}`, partitions: 2 },
      postgres: { url: pg.VIGIL_PG_URL!, schema: run },
      influx: { url: influxUrl, database: run },
      redis: { nodes, keyPrefix: `${run}:`, checkpointStates: redisStates },
    };
    const config = validateConfig(base);
    redis = redisStates ? await connectRedis(config.redis) : undefined;
    api1 = await startApi(config);
    // The second API and the detector poll tombstones only when the test says (an interval longer
    // than the test), so what they do before they learn of a deletion can be seen.
    const slow = validateConfig({ ...base, engine: { ...base.engine, configPollMs: 600_000 } });
    api2 = await startApi(slow);
    processor = await startProcessor(config);
    detector = await startDetector(slow);
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
    for (const role of [api1, api2, processor, detector]) await role?.close();
    await pools?.close();
    await redis?.close();
  }, 60_000);

  describe('DELETE /api/v1/series scaled out', () => {
    let oldId = 0;

    it('deletes the series everywhere it is stored; the other tenant keeps its own', async () => {
      await post(api1.url, keyA, 'x', values(60, [40]));
      await post(api2.url, keyA, 'x', values(10, []), T + 60 * 60_000); // api2 caches the key
      await post(api1.url, keyB, 'x', values(60, [50]));
      await settled(130);
      const put = await fetch(`${api1.url}/api/v1/series/config?series=${q('x')}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
        body: JSON.stringify({ threshold: 0.77 }),
      });
      expect(put.status).toBe(200);
      oldId = (await idOf('tenant-a', 'x'))!;
      expect(await influxCount(oldId)).toBe(70);
      expect(await count('anomalies', oldId)).toBeGreaterThan(0);
      expect(await count('series_config', oldId)).toBe(1);
      expect(await stateStored(oldId, 'cpu{__tenant__="tenant-a",host="x"}')).toBe(true);
      const bPoints = JSON.stringify(await pointsOf(keyB, 'x'));
      const bAnomalies = JSON.stringify(await anomaliesOf(keyB, 'x'));
      expect(JSON.parse(bAnomalies).length).toBeGreaterThan(0);

      expect((await call(keyB, `/api/v1/series?series=${q('y')}`, 'DELETE')).status).toBe(404);
      const r = await call(keyA, `/api/v1/series?series=${q('x')}`, 'DELETE');
      expect(r.status).toBe(200);
      const deleted = (await r.json()) as { series: number; points: number; anomalies: number };
      expect(deleted).toMatchObject({ series: 1, points: 70 });
      expect(deleted.anomalies).toBeGreaterThan(0);

      expect((await call(keyA, `/api/v1/points?series=${q('x')}`)).status).toBe(404);
      expect(await influxCount(oldId)).toBe(0);
      expect(await idOf('tenant-a', 'x')).toBeUndefined();
      for (const table of ['anomalies', 'series_config', 'checkpoint_states'])
        expect(await count(table, oldId)).toBe(0);
      const tomb = await pools.primary('test', 'SELECT purged_ms FROM deleted_series WHERE id = $1', [oldId]);
      expect(tomb).toHaveLength(1);
      expect(tomb[0]!.purged_ms).not.toBeNull();
      expect(JSON.stringify(await pointsOf(keyB, 'x'))).toBe(bPoints);
      expect(JSON.stringify(await anomaliesOf(keyB, 'x'))).toBe(bAnomalies);
      expect((await call(keyA, `/api/v1/series?series=${q('x')}`, 'DELETE')).status).toBe(404);
      expect(await (await call(keyA, '/metrics')).text()).toMatch(/^vigil_series_deleted_total 1$/m);
    }, 120_000);

    it("drops the old id's points still on their way; the key ingested again is a fresh series", async () => {
      // Neither api2 nor the detector has polled yet: api2 resolves the key to the deleted id, and
      // the detector scores those points and stores them and the state again.
      const key = 'cpu{__tenant__="tenant-a",host="x"}';
      const accepted = detector.tasks.stats().pointsAccepted;
      await post(api2.url, keyA, 'x', values(5, [2]), T + 80 * 60_000);
      await settled(accepted + 5);
      expect(await influxCount(oldId)).toBe(5);
      expect(await stateStored(oldId, key)).toBe(true);
      // At its poll the detector drops the state and deletes what it wrote since the deletion.
      expect(await detector.tombstones.poll()).toBeGreaterThan(0);
      expect(await influxCount(oldId)).toBe(0);
      expect(await count('anomalies', oldId)).toBe(0);
      expect(await stateStored(oldId, key)).toBe(false);
      // From then on it drops the old id's points.
      await post(api2.url, keyA, 'x', values(5, [2]), T + 90 * 60_000);
      await settled(accepted + 10);
      expect(await influxCount(oldId)).toBe(0);
      expect(await count('anomalies', oldId)).toBe(0);
      expect(await stateStored(oldId, key)).toBe(false);

      expect(await api2.tombstones.poll()).toBeGreaterThan(0);
      const vs = values(60, [40]);
      await post(api2.url, keyA, 'x', vs);
      await post(api1.url, keyA, 'fresh', vs);
      const newId = (await idOf('tenant-a', 'x'))!;
      expect(newId).toBeGreaterThan(oldId);
      await settled(accepted + 130);
      const again = await pointsOf(keyA, 'x');
      const fresh = await pointsOf(keyA, 'fresh');
      expect(again).toHaveLength(60);
      expect(again.map((p) => p.score)).toEqual(fresh.map((p) => p.score));
      expect(await influxCount(oldId)).toBe(0);
    }, 120_000);
  });

  describe('a deletion interrupted by a crash', () => {
    it('stays deleted after step 1 alone, and the retention sweep finishes it', async () => {
      const accepted = detector.tasks.stats().pointsAccepted;
      await post(api1.url, keyA, 'c', values(30, []));
      await settled(accepted + 30);
      const id = (await idOf('tenant-a', 'c'))!;
      expect(await influxCount(id)).toBe(30);
      // Step 1 only (the PostgreSQL transaction), two minutes ago; the API died before InfluxDB.
      const { removed } = await new PgSeriesTombstones(pools).remove([id], Date.now() - 120_000);
      expect(removed.map((t) => t.id)).toEqual([id]);
      expect((await call(keyA, `/api/v1/points?series=${q('c')}`, 'GET', api2.url)).status).toBe(404);
      expect(await influxCount(id)).toBe(30);
      await api1.retention.sweep();
      expect(await influxCount(id)).toBe(0);
      const tomb = await pools.primary('test', 'SELECT purged_ms FROM deleted_series WHERE id = $1', [id]);
      expect(tomb[0]!.purged_ms).not.toBeNull();
      // The key ingested again is a new series.
      await post(api2.url, keyA, 'c', values(3, []));
      expect(await idOf('tenant-a', 'c')).toBeGreaterThan(id);
    }, 120_000);
  });

  describe('retention scaled out', () => {
    it("removes each tenant's points and closed anomalies older than its cutoff, nothing newer", async () => {
      // 240 hourly points over the last 10 days; tenant-a keeps 5 days, tenant-b forever.
      const t0 = Date.now() - 10 * DAY;
      const vs = values(240, [20, 200]);
      const accepted = detector.tasks.stats().pointsAccepted;
      await post(api1.url, keyA, 'r', vs, t0, HOUR);
      await post(api1.url, keyB, 'r', vs, t0, HOUR);
      await settled(accepted + 480);
      const aId = (await idOf('tenant-a', 'r'))!;
      const bId = (await idOf('tenant-b', 'r'))!;
      const aBefore = await pointsOf(keyA, 'r');
      const bBefore = await pointsOf(keyB, 'r');
      const aAnomalies = await anomaliesOf(keyA, 'r');
      expect(aBefore).toHaveLength(240);
      expect(aAnomalies.some((a) => a.end < Date.now() - 5 * DAY)).toBe(true);

      const start = Date.now();
      const removed = await api1.retention.sweep();
      const end = Date.now();
      const aAfter = await pointsOf(keyA, 'r');
      expect(aAfter.every((p) => p.ts >= start - 5 * DAY)).toBe(true);
      expect(aAfter).toEqual(
        aBefore
          .filter((p) => p.ts >= end - 5 * DAY)
          .concat(aBefore.filter((p) => p.ts >= start - 5 * DAY && p.ts < end - 5 * DAY))
          .sort((x, y) => x.ts - y.ts),
      );
      expect(removed.points).toBe(240 - aAfter.length);
      expect(await influxCount(aId, ` AND time < ${(start - 5 * DAY) * 1e6}`)).toBe(0);
      expect(await pointsOf(keyB, 'r')).toEqual(bBefore);
      expect(await influxCount(bId)).toBe(240);
      const aAnomaliesAfter = await anomaliesOf(keyA, 'r');
      expect(aAnomaliesAfter).toEqual(aAnomalies.filter((a) => a.open === true || a.end >= start - 5 * DAY));
      expect(removed.anomalies).toBe(aAnomalies.length - aAnomaliesAfter.length);
      expect(await (await call(keyA, '/metrics')).text()).toMatch(
        new RegExp(`^vigil_retention_points_removed_total ${removed.points}$`, 'm'),
      );
    }, 120_000);

    it('one claim per interval, however many replicas ask', async () => {
      const retention = new PgRetention(pools);
      const now = Date.now();
      const claims = await Promise.all(
        Array.from({ length: 4 }, () => retention.claim('test-sweep', now, 60_000)),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await retention.claim('test-sweep', now + 30_000, 60_000)).toBe(false);
      expect(await retention.claim('test-sweep', now + 60_000, 60_000)).toBe(true);
    });
  });
});
