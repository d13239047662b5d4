/**
 * PartitionRuntime with an AnomalySink: anomaly changes are written as soon as a slice of points
 * makes them, without waiting for a checkpoint; a checkpoint never commits an offset past changes
 * that are not stored; a failed write is retried with its forms kept in order.
 */
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MemoryCheckpoints } from '../../../src/adapters/memory/checkpoint-store.ts';
import { MemoryPointStore } from '../../../src/adapters/memory/point-store.ts';
import type { Anomaly } from '../../../src/core/anomaly.ts';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { PartitionRuntime } from '../../../src/engine/runtime.ts';
import type { Log, LogEntry } from '../../../src/ports/log.ts';

const consumed: Log = {
  append: () => Promise.reject(new Error('not appended to')),
  read: async () => [],
  endOffset: async () => 0,
  truncate: async () => {},
};

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
    defaults: { detector: 'ewma', params: registry.resolveParams('ewma'), threshold: 0.99 },
    allowedLatenessMs: 0,
  });
  const cps = new MemoryCheckpoints(new MemoryPointStore());
  const store = cps.forPartition('p0');
  const writes: Anomaly[][] = [];
  const runtime = new PartitionRuntime({
    engine,
    log: consumed,
    checkpoints: store,
    defer: () => yieldTurn(),
    soon: (fn) => setImmediate(fn),
    now: () => 0,
    anomalies: {
      write: async (list) => {
        if (failWrites()) throw new Error('postgres is down');
        writes.push([...list]);
        await cps.write(list);
      },
    },
  });
  return { runtime, cps, store, writes };
}

describe('PartitionRuntime with an anomaly sink', () => {
  it('writes anomaly changes without a checkpoint, and checkpoints carry none', async () => {
    const { runtime, cps, store, writes } = setup(() => false);
    await runtime.recover({ replay: false });
    runtime.enqueue(entries());
    await runtime.drain();
    for (let i = 0; i < 50 && writes.length === 0; i++) await yieldTurn();
    expect(await store.load()).toEqual({ offset: 0, states: new Map() }); // no checkpoint yet
    const stored = await cps.anomalies({ limit: 10 });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ seriesId: 1, start: 1600, open: false });
    expect(runtime.unflushedAnomalies()).toEqual([]);
    await runtime.checkpoint();
    expect((await store.load()).offset).toBe(70);
    expect(await cps.anomalies({ limit: 10 })).toEqual(stored);
  });

  it('a checkpoint fails while the sink fails, and stores everything once it works', async () => {
    let down = true;
    const { runtime, cps, store, writes } = setup(() => down);
    await runtime.recover({ replay: false });
    runtime.enqueue(entries());
    await runtime.drain();
    await expect(runtime.checkpoint()).rejects.toThrow('postgres is down');
    expect((await store.load()).offset).toBe(0); // the offset did not pass unstored anomalies
    expect(await cps.anomalies({ limit: 10 })).toEqual([]);
    // Still visible to queries of this process meanwhile.
    expect(runtime.unflushedAnomalies().map((a) => a.start)).toEqual([1600]);
    down = false;
    await runtime.checkpoint();
    expect((await store.load()).offset).toBe(70);
    expect(writes).toHaveLength(1); // the latest form of the run, once
    expect(writes[0]!.map((a) => [a.points, a.open])).toEqual([[3, false]]);
    expect(await cps.anomalies({ limit: 10 })).toEqual(writes[0]);
  });
});
