/**
 * The scaled-out pipeline's logic (api sink → processor → detector tasks) on the in-memory
 * partitioned log: its scores and anomalies equal one embedded engine's on the same requests, with
 * members joining, leaving gracefully and crashing mid-stream.
 */
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MemoryCheckpoints } from '../../../src/adapters/memory/checkpoint-store.ts';
import { MemoryPartitionedLog } from '../../../src/adapters/memory/partitioned-log.ts';
import { MemoryPointStore } from '../../../src/adapters/memory/point-store.ts';
import { IngestService } from '../../../src/app/ingest-service.ts';
import { PartitionTasks } from '../../../src/app/partition-tasks.ts';
import { PartitionedSink } from '../../../src/app/partitioned-sink.ts';
import { ProcessorTasks } from '../../../src/app/processor-tasks.ts';
import type { Anomaly } from '../../../src/core/anomaly.ts';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import type { IngestPoint, ScoredPoint } from '../../../src/core/point.ts';
import { encodeBatch } from '../../../src/core/point-batch-codec.ts';
import { seriesKey } from '../../../src/core/series.ts';
import { Engine } from '../../../src/engine/engine.ts';
import type { GroupMembership } from '../../../src/ports/partitioned-log.ts';
import { rawConfig } from '../../helpers/series-config.ts';
import { ManualTime } from '../../support/task-driver.ts';

const PARTITIONS = 4;
const LATENESS = 5_000;
const defaults = rawConfig('ewma', {}, 0.999);
const newEngine = () => new Engine({ registry: builtinDetectors(), defaults, allowedLatenessMs: LATENESS });

/** 12 series, 400 points each with spikes, a few duplicates and late points, in 100-point requests. */
function requests(): IngestPoint[][] {
  const pts: IngestPoint[] = [];
  for (let t = 0; t < 400; t++) {
    for (let s = 0; s < 12; s++) {
      const spike = t % 97 === 13 + s ? 40 : 0;
      pts.push({
        metric: `m${s % 3}`,
        tags: { host: `h${s}` },
        ts: 1_000_000 + t * 1000,
        value: Math.sin(t / 7 + s) + spike,
      });
      if (t % 50 === 7)
        pts.push({ metric: `m${s % 3}`, tags: { host: `h${s}` }, ts: 1_000_000 + t * 1000, value: 5 }); // duplicate
      if (t % 60 === 30)
        pts.push({ metric: `m${s % 3}`, tags: { host: `h${s}` }, ts: 1_000_000 + t * 1000 - 2500, value: 1 }); // late
    }
  }
  const out: IngestPoint[][] = [];
  for (let i = 0; i < pts.length; i += 100) out.push(pts.slice(i, i + 100));
  return out;
}

/** What one embedded engine produces on the same requests. */
function embedded(reqs: IngestPoint[][], idOf: (k: string) => number) {
  const engine = newEngine();
  const points = new Map<number, Map<number, ScoredPoint>>();
  const anomalies = new Map<string, Anomaly>();
  for (const r of reqs) {
    for (const p of r) {
      const sid = idOf(seriesKey(p.metric, p.tags));
      engine.process(sid, p.ts, p.value, {
        point: (s, sp) => {
          if (!points.has(s)) points.set(s, new Map());
          points.get(s)!.set(sp.ts, sp);
        },
        anomaly: (a) => anomalies.set(`${a.seriesId}:${a.start}`, { ...a }),
        rejected: () => {},
      });
    }
  }
  return { points, anomalies };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 20_000; i++) {
    if (cond()) return;
    await yieldTurn();
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('scaled-out roles on the in-memory log', () => {
  it('the partitions take turns checkpointing, one every interval / partitions, each once per interval', async () => {
    const time = new ManualTime();
    const log = new MemoryPartitionedLog();
    await log.ensureTopic('points', 3);
    const store = new MemoryCheckpoints(new MemoryPointStore());
    const committed: number[] = [];
    const tasks = new PartitionTasks({
      newEngine: async () => newEngine(),
      checkpointsFor: (p) => {
        const inner = store.forPartition(`points/${p}`);
        return {
          load: () => inner.load(),
          commit: async (data) => {
            committed.push(p);
            await inner.commit(data);
          },
        };
      },
      time,
      checkpointIntervalMs: 900,
      maxLagPoints: 1e9,
    });
    tasks.attach(await log.join('det', 'points', tasks));
    expect(tasks.partitionCount()).toBe(3);
    // One point for each partition (series p on partition p), so each has something to commit.
    const round = async (ts: number) => {
      await log.append(
        'points',
        [0, 1, 2].map((p) => ({
          partition: p,
          value: encodeBatch({
            seriesIds: Int32Array.of(p + 1),
            ts: Float64Array.of(ts),
            values: Float64Array.of(1),
          }),
        })),
      );
      await until(() => tasks.stats().pointsScored === (ts - 999) * 3, `round ${ts} scored`);
    };
    // Wall time moves by hand; a checkpoint commits within a few turns of its punctuation.
    const tick = async (ms: number, want: number[]) => {
      time.advance(ms);
      await until(() => committed.length === want.length, `checkpoints ${want}`);
      expect(committed).toEqual(want);
    };
    await round(1000);
    await tick(900, [0]); // the first turn comes an interval after the round started
    await tick(300, [0, 1]);
    await tick(300, [0, 1, 2]);
    await round(1001);
    await tick(300, [0, 1, 2, 0]);
    await tick(600, [0, 1, 2, 0, 1, 2]);
  });

  it('a per-series config stored by the API reaches the detector tasks that own the series', async () => {
    const log = new MemoryPartitionedLog();
    await log.ensureTopic('points', 2);
    const store = new MemoryCheckpoints(new MemoryPointStore());
    const tasks = new PartitionTasks({
      newEngine: async () => newEngine(),
      checkpointsFor: (p) => store.forPartition(`points/${p}`),
      time: new ManualTime(),
      maxLagPoints: 1e9,
    });
    tasks.attach(await log.join('det', 'points', tasks));
    const next = rawConfig('robust-z', {}, 0.99);
    // A config this engine refuses (too fine a resampling for its 5 s lateness) leaves its series
    // alone and is reported; the others still apply.
    const refused: number[] = [];
    const bad = rawConfig('ewma', {}, 0.9, { intervalMs: 1, aggregate: 'mean' });
    const configs = new Map<number, typeof next>([
      [7, next],
      [9, bad],
    ]);
    expect(tasks.applyConfigs(configs, (sid) => refused.push(sid))).toBe(2); // both partitions' engines now know 7
    expect(refused).toEqual([9, 9]);
    expect(tasks.applyConfigs(new Map([[7, next]]))).toBe(0); // nothing changes twice
    const scored: string[] = [];
    // Series 7 is now scored by robust-z: an anomaly run it opens names that detector.
    const rows = Array.from({ length: 200 }, (_, i) => i);
    await log.append('points', [
      {
        partition: 0,
        value: encodeBatch({
          seriesIds: Int32Array.from(rows.map(() => 7)),
          ts: Float64Array.from(rows.map((i) => 1000 + i)),
          values: Float64Array.from(rows.map((i) => (i === 150 ? 1e6 : Math.sin(i)))),
        }),
      },
    ]);
    for (let i = 0; i < 2000 && (await tasks.startOffset(0)) !== 1; i++) await yieldTurn();
    await tasks.checkpointAll();
    for (const a of await store.anomalies({ limit: 100 })) scored.push(a.detector);
    expect(scored.length).toBeGreaterThan(0);
    expect(new Set(scored)).toEqual(new Set(['robust-z']));
  });

  it.each([
    ['in checkpoints', false],
    ['through an anomaly sink', true],
  ])(
    'equal the embedded engine, through a graceful leave and a crash of detector members (anomalies %s)',
    async (_, sink) => {
      const log = new MemoryPartitionedLog({ fetchMax: 7 });
      await log.ensureTopic('ingest', PARTITIONS);
      await log.ensureTopic('points', PARTITIONS);
      const ids = new Map<string, number>();
      const registry = {
        known: (k: string) => ids.get(k),
        count: async () => ids.size,
        countOf: async () => ids.size,
        resolve: async (keys: readonly string[]) =>
          Int32Array.from(
            keys.map((k) => {
              if (!ids.has(k)) ids.set(k, ids.size + 1);
              return ids.get(k)!;
            }),
          ),
      };
      const ingest = new IngestService(
        new PartitionedSink(log, 'ingest', PARTITIONS),
        registry,
        { maxSeries: 100, maxLagPoints: 1e9, retryAfterSeconds: 1 },
        () => 0,
      );
      ingest.setReady(true);

      const processors = [
        new ProcessorTasks(log, 'points', LATENESS),
        new ProcessorTasks(log, 'points', LATENESS),
      ];
      for (const p of processors) p.attach(await log.join('proc', 'ingest', p));

      const pointStore = new MemoryPointStore();
      const checkpoints = new MemoryCheckpoints(pointStore);
      const detector = () =>
        new PartitionTasks({
          newEngine: async () => newEngine(),
          checkpointsFor: (p) => checkpoints.forPartition(`points/${p}`),
          // The crashed member's newer anomaly forms are stored before d3 replays older ones.
          ...(sink ? { anomalySinkFor: () => checkpoints } : {}),
          time: new ManualTime(),
          maxLagPoints: 1e9,
        });
      const d1 = detector();
      const d2 = detector();
      const m1: GroupMembership = await log.join('det', 'points', d1);
      d1.attach(m1);
      const m2 = await log.join('det', 'points', d2);
      d2.attach(m2);
      expect(d1.partitions.length + d2.partitions.length).toBe(PARTITIONS);

      const reqs = requests();
      const third = Math.floor(reqs.length / 3);
      for (const r of reqs.slice(0, third)) await ingest.ingest(r);
      await until(() => d1.stats().pointsScored + d2.stats().pointsScored > 0, 'first scores');
      await d1.checkpointAll();
      await d2.checkpointAll();

      // d2 leaves gracefully (checkpoints on revoke); a new member d3 joins.
      await m2.close();
      const d3 = detector();
      d3.attach(await log.join('det', 'points', d3));
      for (const r of reqs.slice(third, 2 * third)) await ingest.ingest(r);
      await d1.checkpointAll();
      await d3.checkpointAll();

      // d1 crashes: whatever it scored since its last checkpoint is lost with it; d3 takes over
      // from that checkpoint and scores those points again.
      for (const r of reqs.slice(2 * third, 2 * third + 5)) await ingest.ingest(r);
      await log.crash(d1);
      for (const r of reqs.slice(2 * third + 5)) await ingest.ingest(r);

      const total = reqs.flat().length;
      const expected = embedded(reqs, (k) => ids.get(k)!);
      const expectedScored = [...expected.points.values()].reduce((n, m) => n + m.size, 0);
      await until(() => {
        let n = 0;
        for (const p of processors) n += p.stats.pointsIn;
        return n === total;
      }, 'processors to read every point');
      const caughtUp = async () => {
        for (let p = 0; p < PARTITIONS; p++) {
          if ((await d3.startOffset(p)) !== log.records('points', p).length) return false;
        }
        return true;
      };
      for (let i = 0; i < 20_000 && !(await caughtUp()); i++) await yieldTurn();
      expect(await caughtUp()).toBe(true);
      await d3.checkpointAll();
      expect(d3.partitions).toEqual([0, 1, 2, 3]);
      expect(d3.seriesCount()).toBe(12); // the vigil_series gauge of a detector
      expect(processors[0]!.seriesCount + processors[1]!.seriesCount).toBe(12);

      for (const [sid, byTs] of expected.points) {
        const got = await pointStore.range(sid, 0, Number.MAX_SAFE_INTEGER);
        expect(got).toEqual([...byTs.values()].sort((a, b) => a.ts - b.ts));
      }
      const gotAnomalies = await checkpoints.anomalies({ limit: 10_000 });
      expect(gotAnomalies.length).toBeGreaterThan(5);
      expect(gotAnomalies.sort((a, b) => a.seriesId - b.seriesId || a.start - b.start)).toEqual(
        [...expected.anomalies.values()].sort((a, b) => a.seriesId - b.seriesId || a.start - b.start),
      );
      const filtered = processors.reduce(
        (n, p) => n + p.stats.rejected.duplicate + p.stats.rejected.too_late,
        0,
      );
      expect(filtered).toBeGreaterThan(0);
      expect(expectedScored).toBeLessThan(total);
    },
  );
});
