/**
 * The PostgreSQL adapter against a primary and its streaming replica, beyond the port contracts:
 * replication, concurrent registration from two processes, reads while the primary is down, fast
 * write failures, and recovery of the same pools once the primary is back.
 *
 * The primary is stopped here, so this file runs its own instance (state dir
 * `.services/postgres-replica-test/`, removed at the end) rather than the one other test files
 * share. Tables live in a schema of this run.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryPointStore } from '../../src/adapters/memory/point-store.ts';
import { openPostgres, type PostgresConfig, type PostgresStores } from '../../src/adapters/postgres/index.ts';
import type { Anomaly } from '../../src/core/anomaly.ts';
import { isVigilError } from '../../src/core/errors.ts';
import type { ScoredPoint } from '../../src/core/point.ts';
import { PointColumns } from '../../src/core/point-columns.ts';
import { seriesKey } from '../../src/core/series.ts';
import { rawConfig } from '../helpers/series-config.ts';
import { service } from '../support/services.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const servicesDir = join(root, '.services', 'postgres-replica-test');
const schema = `t_${randomBytes(4).toString('hex')}`;

/** Runs an action of scripts/services/postgres.sh on this file's own instance. */
function pgService(action: string): string {
  return execFileSync('bash', [join(root, 'scripts/services/postgres.sh'), action], {
    encoding: 'utf8',
    env: { ...process.env, VIGIL_SERVICES_DIR: servicesDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
}

let url = '';
let replicaUrl = '';
const opened: PostgresStores[] = [];
let replica: pg.Client | undefined;

/** A store as one process of the deployment would open it (own pools, own caches). */
async function open(overrides: Partial<PostgresConfig> = {}): Promise<PostgresStores> {
  const s = await openPostgres({
    url,
    replicaUrl,
    schema,
    poolSize: 3,
    connectTimeoutMs: 3_000,
    ...overrides,
  });
  opened.push(s);
  return s;
}

/** Polls `check` until it returns true; fails after 20 s. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Rows straight from the replica, bypassing the adapter. */
async function onReplica(sql: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  return (await replica!.query(sql, values)).rows;
}

/** The code of the VigilError `p` rejects with (fails when it resolves or throws something else). */
async function errorCode(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isVigilError(err)) throw new Error(`expected a VigilError, got ${String(err)}`);
  expect(err.cause).toBeDefined();
  return err.code;
}

const anomaly = (seriesId: number, start: number, open: boolean): Anomaly => ({
  seriesId,
  start,
  end: start + 10,
  peakScore: 0.1 + 0.2, // 0.30000000000000004: must come back bit-exact
  peakValue: -0,
  peakExpected: Number.NaN,
  direction: 'down',
  points: 3,
  detector: 'ewma',
  open,
});

const pt = (ts: number): ScoredPoint => ({
  ts,
  value: 1,
  score: 0.5,
  expected: 1,
  lower: 0,
  upper: 2,
  anomalous: false,
});

beforeAll(async () => {
  const env = service('postgres', { VIGIL_SERVICES_DIR: servicesDir });
  url = env.VIGIL_PG_URL!;
  replicaUrl = env.VIGIL_PG_REPLICA_URL!;
  replica = new pg.Client({ connectionString: replicaUrl, options: `-c search_path=${schema}` });
  await replica.connect();
});

afterAll(async () => {
  for (const s of opened) await s.close();
  await replica?.end();
  if (url !== '') pgService('down');
  rmSync(servicesDir, { recursive: true, force: true });
});

describe('postgres primary + replica', () => {
  it('what is written to the primary appears on the replica, exactly', async () => {
    const s = await open();
    const [id] = await s.catalog.resolve([seriesKey('cpu', { host: 'r1' })], 1_700_000_000_123);
    await s.configs.setConfig(id!, rawConfig('ewma', { alpha: 0.1 }, 0.999));
    await s
      .checkpoints(new MemoryPointStore())
      .forPartition('p1')
      .commit({
        offset: 5,
        points: new Map([[id!, PointColumns.of([])]]),
        anomalies: [anomaly(id!, 1_700_000_000_000, true)],
        states: new Map([[id!, '{"s":1}']]),
      });
    await eventually('the anomaly on the replica', async () => {
      try {
        return (await onReplica('SELECT 1 FROM anomalies WHERE series_id = $1', [id])).length === 1;
      } catch {
        return false; // the schema's tables may not have replayed yet
      }
    });
    expect(await onReplica('SELECT key, created_ms FROM series WHERE id = $1', [id])).toEqual([
      { key: 'cpu{host="r1"}', created_ms: '1700000000123' },
    ]);
    // Another process (empty caches, reads on the replica) sees the same values, bit for bit.
    const other = await open();
    expect(await other.anomalies.anomalies({ limit: 10, seriesIds: [id!] })).toEqual([
      anomaly(id!, 1_700_000_000_000, true),
    ]);
    expect(Object.is((await other.anomalies.anomalies({ limit: 1 }))[0]!.peakValue, -0)).toBe(true);
    expect((await other.catalog.get(id!))?.key).toBe('cpu{host="r1"}');
    expect(await other.configs.getConfig(id!)).toEqual(rawConfig('ewma', { alpha: 0.1 }, 0.999));
  });

  it('two processes resolving the same new keys at once get the same ids', async () => {
    const a = await open();
    const b = await open();
    for (let round = 0; round < 5; round++) {
      const keys = Array.from({ length: 50 }, (_, i) => seriesKey('race', { round: `${round}`, i: `${i}` }));
      const reversed = [...keys].reverse();
      // Overlapping halves in opposite orders, so each transaction holds keys the other wants.
      const [ids1, ids2] = await Promise.all([
        a.catalog.resolve(keys.slice(0, 40), 1),
        b.catalog.resolve(reversed.slice(0, 40), 2),
      ]);
      const byA = new Map(keys.slice(0, 40).map((k, i) => [k, ids1[i]]));
      const byB = new Map(reversed.slice(0, 40).map((k, i) => [k, ids2[i]]));
      for (const k of keys.slice(10, 40)) expect(byA.get(k)).toBe(byB.get(k));
      expect(new Set([...byA.values(), ...byB.values()]).size).toBe(50);
    }
  });

  it('reads fall back to the primary when the replica is unreachable', async () => {
    const s = await open();
    const [id] = await s.catalog.resolve([seriesKey('cpu', { host: 'fallback' })], 0);
    // Nothing listens on port 1 (privileged): connecting is refused at once.
    const closed = new URL(replicaUrl);
    closed.port = '1';
    const noReplica = await open({ replicaUrl: closed.href });
    expect((await noReplica.catalog.get(id!))?.key).toBe('cpu{host="fallback"}');
    expect(await noReplica.catalog.idOf(seriesKey('cpu', { host: 'fallback' }))).toBe(id);
  });

  it('a URL naming a standby fails as unavailable (read-only transaction)', async () => {
    expect(await errorCode(openPostgres({ url: replicaUrl, schema }))).toBe('VIGIL_ERR_UNAVAILABLE');
  });

  it('primary down: replica reads go on, writes fail fast; back up: the same pools write again', async () => {
    const s = await open();
    const sink = new MemoryPointStore();
    const cps = s.checkpoints(sink).forPartition('p2');
    const [id] = await s.catalog.resolve([seriesKey('mem', { host: 'down' })], 10);
    const reader = await open(); // another process: empty caches, never asked for this series
    await cps.commit({
      offset: 1,
      points: new Map(),
      anomalies: [anomaly(id!, 100, true)],
      states: new Map([[id!, 'before']]),
    });
    await eventually('the replica to replay the commit', async () => {
      return (await onReplica('SELECT 1 FROM anomalies WHERE series_id = $1', [id])).length === 1;
    });

    pgService('stop-primary');
    try {
      // Writes first: the pool still holds connections the server has just closed (this thread
      // was blocked while it stopped), so this also covers a connection dropped while checked out.
      // Every path fails with the retriable code, promptly (the test timeout bounds it).
      expect(await errorCode(s.configs.setConfig(id!, rawConfig('x', {}, 1)))).toBe('VIGIL_ERR_UNAVAILABLE');
      expect(await errorCode(s.catalog.resolve([seriesKey('mem', { host: 'new' })], 20))).toBe(
        'VIGIL_ERR_UNAVAILABLE',
      );
      const commit2 = {
        offset: 2,
        points: new Map([[id!, PointColumns.of([pt(1)])]]),
        anomalies: [{ ...anomaly(id!, 100, false), end: 200 }],
        states: new Map([[id!, 'after']]),
      };
      expect(await errorCode(cps.commit(commit2))).toBe('VIGIL_ERR_UNAVAILABLE');
      // The sink (idempotent) took the points before the transaction failed; the retry rewrites them.
      expect(await sink.range(id!, 0, 10)).toEqual([pt(1)]);
      expect(await errorCode(cps.load())).toBe('VIGIL_ERR_UNAVAILABLE');
      // Opening migrates on the primary, so a new process cannot start while it is down.
      expect(await errorCode(openPostgres({ url, replicaUrl, schema }))).toBe('VIGIL_ERR_UNAVAILABLE');

      // Reads: this process (it wrote them), and another one whose caches are empty.
      expect((await s.anomalies.anomalies({ limit: 10, seriesIds: [id!] })).map((a) => a.start)).toEqual([
        100,
      ]);
      expect((await reader.catalog.get(id!))?.key).toBe('mem{host="down"}');
      expect(await reader.catalog.get(999_999)).toBeUndefined();
      expect(await reader.configs.getConfig(id!)).toBeUndefined();
      expect((await reader.anomalies.anomalies({ limit: 10, seriesIds: [id!] }))[0]?.open).toBe(true);
    } finally {
      pgService('start-primary');
    }

    // The same pools, no restart: the retried commit and new registrations go through.
    await cps.commit({
      offset: 2,
      points: new Map([[id!, PointColumns.of([pt(1)])]]),
      anomalies: [{ ...anomaly(id!, 100, false), end: 200 }],
      states: new Map([[id!, 'after']]),
    });
    const [newId] = await s.catalog.resolve([seriesKey('mem', { host: 'new' })], 20);
    expect(await cps.load()).toEqual({ offset: 2, states: new Map([[id!, 'after']]) });
    await eventually('the replica to catch up', async () => {
      const rows = await onReplica('SELECT end_ms, open FROM anomalies WHERE series_id = $1', [id]);
      const series = await onReplica('SELECT 1 FROM series WHERE id = $1', [newId]);
      return rows[0]?.end_ms === '200' && rows[0]?.open === false && series.length === 1;
    });
    expect((await reader.catalog.get(newId!))?.key).toBe('mem{host="new"}');
  });
});
