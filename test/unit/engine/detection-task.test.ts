/**
 * DetectionTask through the test driver, on the in-memory stores: checkpoints are wall-clock
 * punctuations that commit state, points and anomalies with the offset they reflect and only then
 * report it committed (an offset alone where nothing else changed); a failed checkpoint reports nothing and loses nothing; a task restored from a
 * checkpoint and fed the entries after it gives the output of an uninterrupted run.
 */
import { describe, expect, it } from 'vitest';
import { MemoryCheckpoints } from '../../../src/adapters/memory/checkpoint-store.ts';
import { MemoryPointStore } from '../../../src/adapters/memory/point-store.ts';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import { DetectionTask } from '../../../src/engine/detection-task.ts';
import { Engine } from '../../../src/engine/engine.ts';
import type { CheckpointStore } from '../../../src/ports/checkpoint-store.ts';
import { rawConfig } from '../../helpers/series-config.ts';
import { entry, TaskTestDriver } from '../../support/task-driver.ts';

const SERIES = [1, 2, 3];
const INTERVAL = 1000;

/** 90 entries, one point per series each, 10 s apart; series 2 spikes twice (two anomaly runs). */
const ENTRIES = Array.from({ length: 90 }, (_, r) =>
  entry(
    r + 1,
    SERIES.map((s) => [
      s,
      1_000_000 + r * 10_000,
      s * 10 + Math.sin(r / 4) + (s === 2 && (r === 40 || r === 70) ? 80 : 0),
    ]),
  ),
);

function newEngine(): Engine {
  const registry = builtinDetectors();
  return new Engine({
    registry,
    defaults: rawConfig('ewma', registry.resolveParams('ewma'), 0.99),
    allowedLatenessMs: 0,
  });
}

/** A DetectionTask on `store` (a partition of `cps`), checkpointing every INTERVAL of wall time. */
function driverOn(store: CheckpointStore) {
  return new TaskTestDriver(
    () => new DetectionTask({ engine: newEngine(), checkpoints: store, checkpointIntervalMs: INTERVAL }),
  );
}

function memory() {
  const points = new MemoryPointStore();
  const cps = new MemoryCheckpoints(points);
  return { points, cps, store: cps.forPartition('p0') };
}

async function output(m: ReturnType<typeof memory>) {
  const points = await Promise.all(SERIES.map((s) => m.points.range(s, 0, Number.MAX_SAFE_INTEGER)));
  return { points, anomalies: await m.cps.anomalies({ limit: 100 }) };
}

describe('DetectionTask', () => {
  it('checkpoints on its wall-clock punctuation and only then reports the offset committed', async () => {
    const m = memory();
    const d = driverOn(m.store);
    await d.assign(0);
    await d.pipe(0, ENTRIES.slice(0, 30));
    await d.advanceWallTime(INTERVAL - 1);
    expect((await m.store.load()).offset).toBe(0);
    expect(d.committed).toEqual([]);
    // Not stored yet, still served from the task.
    expect(d.task().unflushed(1, 0, Number.MAX_SAFE_INTEGER)).toHaveLength(30);
    await d.advanceWallTime(1);
    const cp = await m.store.load();
    expect(cp.offset).toBe(30);
    expect([...cp.states.keys()].sort()).toEqual(SERIES);
    expect(d.committed).toEqual([{ partition: 0, offset: 30 }]);
    expect(d.task().stats.checkpoints).toBe(1);
    expect(d.task().unflushed(1, 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(await m.points.range(1, 0, Number.MAX_SAFE_INTEGER)).toHaveLength(30);
    // Nothing new: the next punctuation has nothing to commit.
    await d.advanceWallTime(INTERVAL);
    expect(d.committed).toHaveLength(1);
  });

  it('entries that change nothing (points of another engine shard) still move the committed offset', async () => {
    const m = memory();
    const d = driverOn(m.store);
    await d.assign(0);
    await d.pipe(0, ENTRIES.slice(0, 30));
    await d.advanceWallTime(INTERVAL);
    expect(d.committed).toEqual([{ partition: 0, offset: 30 }]);
    // Entries 31..40 with none of this task's points: nothing to store, but the log before 40 may go.
    await d.pipe(
      0,
      Array.from({ length: 10 }, (_, i) => entry(31 + i, [])),
    );
    await d.advanceWallTime(INTERVAL);
    expect(d.committed).toEqual([
      { partition: 0, offset: 30 },
      { partition: 0, offset: 40 },
    ]);
    expect((await m.store.load()).offset).toBe(40);
    expect(d.task().stats.checkpoints).toBe(1);
    expect(await m.points.range(1, 0, Number.MAX_SAFE_INTEGER)).toHaveLength(30);
    // Restored there, the task goes on from entry 41 with the states of entry 30.
    const next = driverOn(m.store);
    expect(await next.assign(0)).toEqual([40]);
  });

  it('a failed checkpoint reports no offset and loses nothing: the next punctuation commits it all', async () => {
    const m = memory();
    let down = true;
    const flaky: CheckpointStore = {
      load: () => m.store.load(),
      commit: async (data) => {
        if (down) throw new Error('store down');
        await m.store.commit(data);
      },
    };
    const d = driverOn(flaky);
    await d.assign(0);
    await d.pipe(0, ENTRIES.slice(0, 50));
    await d.advanceWallTime(INTERVAL);
    expect(d.failures.map((f) => (f.err as Error).message)).toEqual(['store down']);
    expect(d.committed).toEqual([]);
    expect(d.task().unflushed(2, 0, Number.MAX_SAFE_INTEGER)).toHaveLength(50);
    expect(d.task().unflushedAnomalies().length).toBeGreaterThan(0);
    await d.pipe(0, ENTRIES.slice(50, 60));
    down = false;
    await d.advanceWallTime(INTERVAL);
    expect(d.committed).toEqual([{ partition: 0, offset: 60 }]);
    const cp = await m.store.load();
    expect([...cp.states.keys()].sort()).toEqual(SERIES); // states of the failed try included
    expect(await m.points.range(2, 0, Number.MAX_SAFE_INTEGER)).toHaveLength(60);
    expect(d.task().unflushedAnomalies()).toEqual([]);
  });

  it('restored from a checkpoint and fed the entries after it, gives the output of an uninterrupted run', async () => {
    const ref = memory();
    const r = driverOn(ref.store);
    await r.assign(0);
    await r.pipe(0, ENTRIES);
    await r.close();
    const want = await output(ref);
    expect(want.anomalies.length).toBeGreaterThanOrEqual(2);

    const m = memory();
    const first = driverOn(m.store);
    await first.assign(0);
    await first.pipe(0, ENTRIES.slice(0, 45)); // in the first anomaly run
    await first.advanceWallTime(INTERVAL);
    await first.pipe(0, ENTRIES.slice(45, 80)); // scored, never committed: lost in the crash
    expect(first.committed).toEqual([{ partition: 0, offset: 45 }]);

    const second = driverOn(m.store);
    expect(await second.assign(0)).toEqual([45]);
    await second.pipe(0, ENTRIES.slice(45));
    await second.close();
    expect(second.committed.at(-1)).toEqual({ partition: 0, offset: 90 });
    expect(await output(m)).toEqual(want);
  });
});
