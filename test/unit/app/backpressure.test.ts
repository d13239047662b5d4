/**
 * When accepted points wait to be scored beyond `ingest.maxLagPoints`, ingest refuses new work
 * with VIGIL_ERR_BACKPRESSURE, which the HTTP layer turns into 503 + Retry-After.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase, SqliteLog, SqliteSeriesCatalog } from '../../../src/adapters/sqlite/index.ts';
import { SqliteStoreDb } from '../../../src/adapters/sqlite/store-db.ts';
import { type BatchSink, IngestService } from '../../../src/app/ingest-service.ts';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import { DetectionTask } from '../../../src/engine/detection-task.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { GroupCommit } from '../../../src/engine/group-commit.ts';
import { startTestServer } from '../../helpers/embedded.ts';
import { rawConfig } from '../../helpers/series-config.ts';
import { TaskTestDriver } from '../../support/task-driver.ts';

/** Ingest → group commit onto the log → a detection task, as in `vigil serve` but on one thread. */
async function stalledPipeline(maxLagPoints: number) {
  const registry = builtinDetectors();
  const engine = new Engine({
    registry,
    defaults: rawConfig('ewma', registry.resolveParams('ewma'), 0.99),
    allowedLatenessMs: 0,
  });
  const db = openDatabase(':memory:', 'normal');
  const log = new SqliteLog(db);
  const catalog = new SqliteSeriesCatalog(db);
  const store = new SqliteStoreDb(openDatabase(':memory:', 'normal'));
  // The task's yield never returns: it scores one slice and then stalls, as a slow detector would.
  const driver = new TaskTestDriver(() => new DetectionTask({ engine, checkpoints: store }), {
    defer: () => new Promise(() => {}),
  });
  await driver.assign(0);
  const commits = new GroupCommit(
    log,
    (fn) => setImmediate(fn),
    (entries) => driver.host.deliver(0, entries),
  );
  const sink: BatchSink = {
    submit: (batch) => commits.submit(batch),
    get lagPoints() {
      return driver.host.lagPoints();
    },
  };
  const ingest = new IngestService(
    sink,
    catalog,
    { maxSeries: 1000, maxLagPoints, retryAfterSeconds: 7 },
    () => 0,
  );
  ingest.setReady(true);
  return { ingest, host: driver.host };
}

const points = (n: number, t0: number) =>
  Array.from({ length: n }, (_, i) => ({ metric: 'm', tags: {}, ts: t0 + i, value: i }));

describe('backpressure', () => {
  it('refuses ingest with a retriable error once the lag exceeds maxLagPoints', async () => {
    const { ingest, host } = await stalledPipeline(10_000);
    // Five requests commit as one group; the engine scores a slice of them, then stalls.
    await Promise.all([0, 1, 2, 3, 4].map((k) => ingest.ingest(points(10_000, k * 10_000))));
    expect(host.lagPoints()).toBeGreaterThan(10_000);
    await expect(ingest.ingest(points(1, 100_000))).rejects.toMatchObject({
      code: 'VIGIL_ERR_BACKPRESSURE',
      status: 503,
      retriable: true,
    });
  });

  it('refuses ingest while not ready (recovering) with 503', async () => {
    const { ingest } = await stalledPipeline(10);
    ingest.setReady(false);
    await expect(ingest.ingest(points(1, 0))).rejects.toMatchObject({
      code: 'VIGIL_ERR_NOT_READY',
      status: 503,
    });
  });

  it('HTTP answers 503 with Retry-After from ingest.retryAfterSeconds', async () => {
    const server = await startTestServer({ ingest: { retryAfterSeconds: 3 } });
    try {
      server.ingest.setReady(false);
      const r = await fetch(`${server.url}/api/v1/points`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ points: points(1, 0) }),
      });
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('3');
      expect(((await r.json()) as { code: string }).code).toBe('VIGIL_ERR_NOT_READY');
    } finally {
      server.ingest.setReady(true);
      await server.dispose();
    }
  });
});
