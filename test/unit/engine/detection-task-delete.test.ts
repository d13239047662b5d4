/**
 * DetectionTask.deleteSeries against a checkpoint in flight: the store's delete is sent only once
 * that checkpoint is written (sent before it, the checkpoint would write the series back), and no
 * later checkpoint carries the series' points or state, even when its points keep arriving.
 */
import { describe, expect, it } from 'vitest';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import { DetectionTask } from '../../../src/engine/detection-task.ts';
import { Engine } from '../../../src/engine/engine.ts';
import type { CheckpointData, CheckpointStore } from '../../../src/ports/checkpoint-store.ts';
import { rawConfig } from '../../helpers/series-config.ts';
import { entry, TaskTestDriver } from '../../support/task-driver.ts';

/** A store whose commits wait until released, recording what each write carried and when. */
class HeldStore implements CheckpointStore {
  readonly writes: { kind: 'commit' | 'delete'; sids: number[] }[] = [];
  #release: (() => void) | null = null;
  hold = false;

  async load() {
    return { offset: 0, states: new Map<number, string>() };
  }

  async commit(data: CheckpointData): Promise<void> {
    if (this.hold) await new Promise<void>((r) => (this.#release = r));
    const sids = new Set([
      ...data.points.keys(),
      ...data.states.keys(),
      ...data.anomalies.map((a) => a.seriesId),
    ]);
    this.writes.push({ kind: 'commit', sids: [...sids].sort() });
  }

  async deleteSeries(ids: readonly number[]) {
    this.writes.push({ kind: 'delete', sids: [...ids] });
    return { points: 0, chunks: 0, anomalies: 0 };
  }

  release(): void {
    this.hold = false;
    this.#release?.();
  }
}

const round = (offset: number, t: number) =>
  entry(offset, [
    [1, t, 10 + (t % 3)],
    [2, t, 20 + (t % 3)],
  ]);

describe('DetectionTask.deleteSeries', () => {
  it('waits for the checkpoint in flight, then no checkpoint carries the series again', async () => {
    const registry = builtinDetectors();
    const engine = new Engine({
      registry,
      defaults: rawConfig('ewma', registry.resolveParams('ewma'), 0.99),
      allowedLatenessMs: 0,
    });
    const store = new HeldStore();
    const task = new DetectionTask({ engine, checkpoints: store });
    const driver = new TaskTestDriver(() => task);
    await driver.assign(0);
    await driver.pipe(0, [round(1, 1000), round(2, 1010)]);

    store.hold = true;
    const checkpoint = task.checkpoint();
    await driver.settle();
    const deleted = task.deleteSeries([1]);
    await driver.settle();
    expect(store.writes).toEqual([]);
    store.release();
    await checkpoint;
    await deleted;
    expect(store.writes).toEqual([
      { kind: 'commit', sids: [1, 2] },
      { kind: 'delete', sids: [1] },
    ]);

    // Points of the deleted id still arriving (in flight, or replayed) start nothing.
    await driver.pipe(0, [round(3, 1020), round(4, 1030)]);
    expect(task.unflushed(1, 0, 1e12)).toEqual([]);
    expect(task.unflushed(2, 0, 1e12)).toHaveLength(2);
    await task.checkpoint();
    expect(store.writes.at(-1)).toEqual({ kind: 'commit', sids: [2] });
    expect(task.seriesCount).toBe(1);
  });

  it('counts the buffered points it drops', async () => {
    const registry = builtinDetectors();
    const engine = new Engine({
      registry,
      defaults: rawConfig('ewma', registry.resolveParams('ewma'), 0.99),
      allowedLatenessMs: 0,
    });
    const task = new DetectionTask({ engine, checkpoints: new HeldStore() });
    const driver = new TaskTestDriver(() => task);
    await driver.assign(0);
    await driver.pipe(0, [round(1, 1000), round(2, 1010), round(3, 1020)]);
    expect(await task.deleteSeries([2])).toEqual({ points: 3, chunks: 0, anomalies: 0 });
    expect(task.unflushed(2, 0, 1e12)).toEqual([]);
    expect(task.unflushed(1, 0, 1e12)).toHaveLength(3);
  });
});
