/**
 * Scheduled checkpoints make room for their serialization: after a checkpoint that serialized
 * states for S ms, the next scheduled one is due 10·S ms after it began (at most 60 s); one asked
 * for directly (drain, shutdown) always runs.
 */
import { describe, expect, it } from 'vitest';
import { MemoryCheckpoints } from '../../../src/adapters/memory/checkpoint-store.ts';
import { MemoryPointStore } from '../../../src/adapters/memory/point-store.ts';
import { AnomalyOutbox } from '../../../src/engine/anomaly-outbox.ts';
import { Checkpointer, MAX_SPACING_MS } from '../../../src/engine/checkpointer.ts';
import type { Engine } from '../../../src/engine/engine.ts';
import { PointBuffer } from '../../../src/engine/point-buffer.ts';
import { emptyStats } from '../../../src/engine/runtime-stats.ts';
import type { TaskContext } from '../../../src/engine/task.ts';

/** A checkpointer whose engine's serialization takes `stepMs` of the fake clock per series. */
function setup(stepMs: () => number) {
  let now = 0;
  const ctx = {
    partition: 0,
    wallTime: () => now,
    eventTime: () => 0,
    pause: () => {},
    resume: () => {},
    defer: () => Promise.resolve(),
    soon: (fn: () => void) => fn(),
    committed: () => Promise.resolve(),
    schedule: () => ({ cancel: () => {} }),
  } as TaskContext;
  const engine = {
    *serializeDirty(into: Map<number, string>) {
      for (let s = 1; s <= 3; s++) {
        now += stepMs();
        into.set(s, `"state ${s}"`);
        yield;
      }
    },
    markDirty: () => {},
  } as unknown as Engine;
  const store = new MemoryCheckpoints(new MemoryPointStore()).forPartition('p0');
  let offset = 0;
  const c = new Checkpointer({
    engine,
    store,
    points: new PointBuffer(),
    anomalies: new AnomalyOutbox(undefined, (fn) => fn()),
    stats: emptyStats(),
    ctx,
    offset: () => ++offset,
  });
  return { c, clock: (to: number) => (now = to), now: () => now };
}

describe('Checkpointer spacing', () => {
  it('is due again once ten times the last serialization has gone by', async () => {
    const { c, clock, now } = setup(() => 100);
    expect(c.due()).toBe(true);
    clock(1000);
    await c.checkpoint(); // began at 1,000, serialized 3 × 100 ms
    expect(now()).toBe(1300);
    clock(1000 + 2999);
    expect(c.due()).toBe(false);
    clock(1000 + 3000);
    expect(c.due()).toBe(true);
  });

  it('never waits more than MAX_SPACING_MS, and a cheap one is due at once', async () => {
    let step = 10_000;
    const { c, clock } = setup(() => step);
    await c.checkpoint(); // 30 s of serialization: 300 s by the share, capped
    clock(MAX_SPACING_MS - 1);
    expect(c.due()).toBe(false);
    clock(MAX_SPACING_MS);
    expect(c.due()).toBe(true);
    step = 0;
    await c.checkpoint();
    expect(c.due()).toBe(true);
  });
});
