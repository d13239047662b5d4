/**
 * DetectionTask points flushes (`flushAt`) on the real SQLite store, through the test driver: points are written ahead
 * of the checkpoint once enough are pending, queries see every point exactly once meanwhile, and
 * after a crash between a flush and the next checkpoint the output equals an uninterrupted run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/adapters/sqlite/database.ts';
import { SqliteStoreDb } from '../../../src/adapters/sqlite/store-db.ts';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import type { ScoredPoint } from '../../../src/core/point.ts';
import { DetectionTask } from '../../../src/engine/detection-task.ts';
import { Engine } from '../../../src/engine/engine.ts';
import type { LogEntry } from '../../../src/ports/log.ts';
import { rawConfig } from '../../helpers/series-config.ts';
import { TaskTestDriver } from '../../support/task-driver.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SERIES = [1, 2, 3];
const ROUNDS = 120;

/** One entry per round: a point for series 1 and 2 every round, for series 3 every 4th. */
const ENTRIES: LogEntry[] = Array.from({ length: ROUNDS }, (_, r) => {
  const sids = SERIES.filter((s) => s !== 3 || r % 4 === 0);
  return {
    offset: r + 1,
    batch: {
      seriesIds: Int32Array.from(sids),
      ts: Float64Array.from(sids.map(() => 1000 + r * 10)),
      values: Float64Array.from(sids.map((s) => s * 10 + Math.sin(r / 3) + (r === 90 ? 50 : 0))),
    },
  };
});

function open(dir: string, flushAt?: number) {
  const registry = builtinDetectors();
  const engine = new Engine({
    registry,
    defaults: rawConfig('ewma', registry.resolveParams('ewma'), 0.99),
    allowedLatenessMs: 0,
  });
  const store = new SqliteStoreDb(openDatabase(join(dir, 'store.db'), 'normal'));
  const writes: number[] = [];
  const flushPoints = store.flushPoints.bind(store);
  store.flushPoints = async (offset, points) => {
    writes.push(offset);
    await flushPoints(offset, points);
  };
  const task = new DetectionTask({
    engine,
    checkpoints: store,
    ...(flushAt !== undefined ? { flushAt } : {}),
  });
  return { driver: new TaskTestDriver(() => task), task, store, flushes: writes };
}

const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-runtime-flush-'));
  dirs.push(d);
  return d;
};

/** Stored and not yet stored points of a series, as a query merges them. */
async function visible(store: SqliteStoreDb, task: DetectionTask, sid: number): Promise<ScoredPoint[]> {
  const all = (await store.range(sid, 0, 1e12)).concat(task.unflushed(sid, 0, 1e12));
  return all.sort((a, b) => a.ts - b.ts);
}

/** The output of an uninterrupted run without flushes. */
async function reference(): Promise<Map<number, ScoredPoint[]>> {
  const { driver, store } = open(freshDir());
  await driver.assign(0);
  await driver.pipe(0, ENTRIES);
  await driver.close();
  const out = new Map<number, ScoredPoint[]>();
  for (const s of SERIES) out.set(s, await store.range(s, 0, 1e12));
  await store.close();
  return out;
}

describe('DetectionTask points flushes', () => {
  it('writes points ahead of the checkpoint, and queries see each point exactly once meanwhile', async () => {
    const want = await reference();
    const { driver, task, store, flushes } = open(freshDir(), 40);
    await driver.assign(0);
    await driver.pipe(0, ENTRIES.slice(0, 60));
    await task.flush(); // the one in flight, if any (series 3 alone is too short to start one)
    expect(flushes.length).toBeGreaterThan(0);
    expect((await store.range(1, 0, 1e12)).length).toBeGreaterThanOrEqual(16);
    // Series 3 (15 points) stayed below the 16 a flush takes per series.
    expect(await store.range(3, 0, 1e12)).toEqual([]);
    for (const s of SERIES) {
      expect(await visible(store, task, s)).toEqual(want.get(s)!.filter((p) => p.ts < 1000 + 60 * 10));
    }
    await driver.pipe(0, ENTRIES.slice(60));
    await driver.close();
    for (const s of SERIES) expect(await store.range(s, 0, 1e12)).toEqual(want.get(s));
    await store.close();
  });

  it('after a crash between a flush and the next checkpoint, the output equals an uninterrupted run', async () => {
    const want = await reference();
    const dir = freshDir();
    const first = open(dir, 40);
    await first.driver.assign(0);
    await first.driver.pipe(0, ENTRIES.slice(0, 50));
    await first.task.checkpoint();
    await first.driver.pipe(0, ENTRIES.slice(50, 100));
    await first.task.flush();
    expect(first.flushes.some((o) => o > 50)).toBe(true);
    // Crash: the store holds checkpoint 50 plus points flushed past it; the task is gone.
    await first.store.close();

    const second = open(dir, 40);
    expect(await second.driver.assign(0)).toEqual([50]);
    // The driver is the log: it replays what follows the checkpoint.
    await second.driver.pipe(
      0,
      ENTRIES.filter((e) => e.offset > 50),
    );
    await second.task.checkpoint();
    for (const s of SERIES) expect(await second.store.range(s, 0, 1e12)).toEqual(want.get(s));
    await second.store.close();
  });
});
