/**
 * Warm start in the scaled-out detector tasks (PartitionTasks.warmStart, what the detector's config
 * poll runs after applyConfigs) on the in-memory log and point store: only the partition whose task
 * holds the series primes it, from the stored points; a spike right after the change is flagged.
 */
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MemoryCheckpoints } from '../../../src/adapters/memory/checkpoint-store.ts';
import { MemoryPartitionedLog } from '../../../src/adapters/memory/partitioned-log.ts';
import { MemoryPointStore } from '../../../src/adapters/memory/point-store.ts';
import { PartitionTasks } from '../../../src/app/partition-tasks.ts';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import { encodeBatch } from '../../../src/core/point-batch-codec.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { rawConfig } from '../../helpers/series-config.ts';
import { ManualTime } from '../../support/task-driver.ts';

const PROBATION = rawConfig('ewma', { alpha: 0.05, bandSigmas: 4, warmup: 200 }, 0.999);

/**
 * `warm`: warm start before the spike arrives; `during`: the spike's batch reaches the consumer
 * while the warm start is still reading the history; `cold`: no warm start.
 */
async function run(mode: 'warm' | 'during' | 'cold') {
  const warm = mode !== 'cold';
  const log = new MemoryPartitionedLog();
  await log.ensureTopic('points', 2);
  const points = new MemoryPointStore();
  const store = new MemoryCheckpoints(points);
  const tasks = new PartitionTasks({
    newEngine: async () =>
      new Engine({
        registry: builtinDetectors(),
        defaults: rawConfig('ewma', {}, 0.999),
        allowedLatenessMs: 5000,
        primeReplayMax: warm ? 1000 : 0,
      }),
    checkpointsFor: (p) => store.forPartition(`points/${p}`),
    time: new ManualTime(),
    maxLagPoints: 1e9,
  });
  tasks.attach(await log.join('det', 'points', tasks));
  let offset = 0;
  const append = async (from: number, values: number[]) => {
    await log.append('points', [
      {
        partition: 0,
        value: encodeBatch({
          seriesIds: Int32Array.from(values.map(() => 7)),
          ts: Float64Array.from(values.map((_, i) => (from + i) * 1000)),
          values: Float64Array.from(values),
        }),
      },
    ]);
    offset++;
    for (let i = 0; i < 5000 && (await tasks.startOffset(0)) !== offset; i++) await yieldTurn();
    await tasks.checkpointAll();
  };
  await append(
    1,
    Array.from({ length: 300 }, (_, i) => 10 + Math.sin(i / 3)),
  );
  const changed = new Set<number>();
  expect(tasks.applyConfigs(new Map([[7, PROBATION]]), undefined, changed)).toBe(2);
  expect([...changed]).toEqual([7]);
  let r = null;
  if (mode === 'warm') {
    r = await tasks.warmStart([...changed], (sid, from, to) => points.range(sid, from, to), 1000);
    await append(301, [10, 10, 100, 10]);
  } else if (mode === 'during') {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const warming = tasks.warmStart(
      [...changed],
      async (sid, from, to) => {
        await gate;
        return points.range(sid, from, to);
      },
      1000,
    );
    const appended = append(301, [10, 10, 100, 10]);
    // Long enough for the consumer to hand the batch to the task, were it not held.
    for (let i = 0; i < 200; i++) await yieldTurn();
    release();
    r = await warming;
    await appended;
  } else {
    await append(301, [10, 10, 100, 10]);
  }
  const anomalies = (await store.anomalies({ limit: 100 })).filter((a) => a.start > 300_000);
  return { r, anomalies, series: tasks.seriesCount() };
}

describe('PartitionTasks.warmStart', () => {
  it('primes the series in the partition that holds it, from the point store', async () => {
    const { r, anomalies, series } = await run('warm');
    expect(r).toEqual({ series: 1, points: 300, failed: 0 });
    // The other partition's task did not get a task for the series.
    expect(series).toBe(1);
    expect(anomalies.map((a) => a.start)).toEqual([303_000]);
  });

  it('points that arrive while the history is read wait for the prime, and are scored primed', async () => {
    const { r, anomalies } = await run('during');
    expect(r).toEqual({ series: 1, points: 300, failed: 0 });
    expect(anomalies.map((a) => a.start)).toEqual([303_000]);
  });

  it('without a warm start the new pipeline sits out its probation', async () => {
    const { anomalies } = await run('cold');
    expect(anomalies).toEqual([]);
  });
});
