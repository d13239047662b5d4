/**
 * DetectionTask with an AnomalySink (through the test driver): anomaly changes are written as soon as a slice of points
 * makes them, without waiting for a checkpoint; a checkpoint never commits an offset past changes
 * that are not stored; a failed write is retried with its forms kept in order.
 */
import { describe, expect, it } from 'vitest';
import { MemoryCheckpoints } from '../../../src/adapters/memory/checkpoint-store.ts';
import { MemoryPointStore } from '../../../src/adapters/memory/point-store.ts';
import type { Anomaly } from '../../../src/core/anomaly.ts';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import { DetectionTask } from '../../../src/engine/detection-task.ts';
import { Engine } from '../../../src/engine/engine.ts';
import type { LogEntry } from '../../../src/ports/log.ts';
import { rawConfig } from '../../helpers/series-config.ts';
import { TaskTestDriver } from '../../support/task-driver.ts';

/** Series 1: 60 quiet points, then a spike of 3 points, then quiet again; one entry per point. */
function entries(): LogEntry[] {
  return Array.from({ length: 70 }, (_, i) => ({
    offset: i + 1,
    batch: {
      seriesIds: Int32Array.of(1),
      ts: Float64Array.of(1000 + i * 10),
      values: Float64Array.of(i >= 60 && i < 63 ? 500 : 10 + Math.sin(i)),
    },
  }));
}

function setup(failWrites: () => boolean) {
  const registry = builtinDetectors();
  const engine = new Engine({
    registry,
    defaults: rawConfig('ewma', registry.resolveParams('ewma'), 0.99),
    allowedLatenessMs: 0,
  });
  const cps = new MemoryCheckpoints(new MemoryPointStore());
  const store = cps.forPartition('p0');
  const writes: Anomaly[][] = [];
  const task = new DetectionTask({
    engine,
    checkpoints: store,
    anomalies: {
      write: async (list) => {
        if (failWrites()) throw new Error('postgres is down');
        writes.push([...list]);
        await cps.write(list);
      },
    },
  });
  return { driver: new TaskTestDriver(() => task), task, cps, store, writes };
}

describe('DetectionTask with an anomaly sink', () => {
  it('writes anomaly changes without a checkpoint, and checkpoints carry none', async () => {
    const { driver, task, cps, store, writes } = setup(() => false);
    await driver.assign(0);
    await driver.pipe(0, entries());
    expect(writes.length).toBeGreaterThan(0);
    expect(await store.load()).toEqual({ offset: 0, states: new Map() }); // no checkpoint yet
    const stored = await cps.anomalies({ limit: 10 });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ seriesId: 1, start: 1600, open: false });
    expect(task.unflushedAnomalies()).toEqual([]);
    await task.checkpoint();
    expect((await store.load()).offset).toBe(70);
    expect(driver.committed).toEqual([{ partition: 0, offset: 70 }]);
    expect(await cps.anomalies({ limit: 10 })).toEqual(stored);
  });

  it('a checkpoint fails while the sink fails, and stores everything once it works', async () => {
    let down = true;
    const { driver, task, cps, store, writes } = setup(() => down);
    await driver.assign(0);
    await driver.pipe(0, entries());
    await expect(task.checkpoint()).rejects.toThrow('postgres is down');
    expect((await store.load()).offset).toBe(0); // the offset did not pass unstored anomalies
    expect(driver.committed).toEqual([]);
    expect(await cps.anomalies({ limit: 10 })).toEqual([]);
    // Still visible to queries of this process meanwhile.
    expect(task.unflushedAnomalies().map((a) => a.start)).toEqual([1600]);
    down = false;
    await task.checkpoint();
    expect((await store.load()).offset).toBe(70);
    expect(driver.committed).toEqual([{ partition: 0, offset: 70 }]);
    expect(writes).toHaveLength(1); // the latest form of the run, once
    expect(writes[0]!.map((a) => [a.points, a.open])).toEqual([[3, false]]);
    expect(await cps.anomalies({ limit: 10 })).toEqual(writes[0]);
  });
});
