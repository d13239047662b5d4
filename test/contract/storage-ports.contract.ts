/**
 * Contract of the storage ports (Log, CheckpointStore, PointStore, AnomalyStore, ConfigStore).
 * Every adapter that implements them runs this same suite (see *.test.ts beside it), so the
 * embedded and the scaled-out stores are held to one behaviour.
 */
import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../src/core/anomaly.ts';
import type { ScoredPoint } from '../../src/core/point.ts';
import { PointColumns } from '../../src/core/point-columns.ts';
import type { CheckpointStore } from '../../src/ports/checkpoint-store.ts';
import type { Log, PointBatch } from '../../src/ports/log.ts';
import type { AnomalyStore, ConfigStore } from '../../src/ports/meta-store.ts';
import type { PointStore } from '../../src/ports/point-store.ts';

export interface StorageUnderTest {
  log: Log;
  checkpoints: CheckpointStore & PointStore & AnomalyStore;
  configs: ConfigStore;
  /** Closes and reopens the same storage, as a restart would. */
  reopen(): Promise<StorageUnderTest>;
  close(): Promise<void>;
}

const batch = (ids: number[], t0: number): PointBatch => ({
  seriesIds: Int32Array.from(ids),
  ts: Float64Array.from(ids.map((_, i) => t0 + i)),
  values: Float64Array.from(ids.map((id, i) => id * 100 + i)),
});

const pt = (ts: number, value: number, anomalous = false): ScoredPoint => ({
  ts,
  value,
  score: anomalous ? 0.9999 : 0.1,
  expected: value - 1,
  lower: value - 2,
  upper: value + 2,
  anomalous,
});

const anomaly = (seriesId: number, start: number, end: number, open: boolean): Anomaly => ({
  seriesId,
  start,
  end,
  peakScore: 0.99,
  peakValue: 5,
  peakExpected: 1,
  direction: 'up',
  points: 2,
  detector: 'ewma',
  open,
});

export function storagePortsContract(name: string, open: () => Promise<StorageUnderTest>): void {
  describe(`storage ports contract: ${name}`, () => {
    it('Log: offsets increase, entries read back in order and survive a restart', async () => {
      let s = await open();
      const o1 = await s.log.append([batch([1, 2], 1000), batch([3], 2000)]);
      const o2 = await s.log.append([batch([4], 3000)]);
      expect(o1[1]).toBe(o1[0]! + 1);
      expect(o2[0]).toBe(o1[1]! + 1);
      expect(s.log.endOffset()).toBe(o2[0]);
      s = await s.reopen();
      const entries = s.log.read(0, 10);
      expect(entries.map((e) => e.offset)).toEqual([...o1, ...o2]);
      expect([...entries[0]!.batch.seriesIds]).toEqual([1, 2]);
      expect([...entries[0]!.batch.values]).toEqual([100, 201]);
      expect(s.log.read(o1[1]!, 10).map((e) => e.offset)).toEqual(o2);
      await s.close();
    });

    it('Log: truncate drops covered entries but offsets keep increasing after a restart', async () => {
      let s = await open();
      const o = await s.log.append([batch([1], 0), batch([1], 10)]);
      await s.log.truncate(o[1]!);
      expect(s.log.read(0, 10)).toEqual([]);
      s = await s.reopen();
      const next = await s.log.append([batch([1], 20)]);
      expect(next[0]).toBeGreaterThan(o[1]!);
      await s.close();
    });

    it('CheckpointStore: points, anomalies, states and offset commit together and load back', async () => {
      let s = await open();
      expect(s.checkpoints.load()).toEqual({ offset: 0, states: new Map() });
      await s.checkpoints.commit({
        offset: 7,
        points: new Map([[1, PointColumns.of([pt(10, 1), pt(20, 2, true)])]]),
        anomalies: [anomaly(1, 20, 20, true)],
        states: new Map([[1, '{"a":1}']]),
      });
      await s.checkpoints.commit({
        offset: 9,
        points: new Map([[1, PointColumns.of([pt(30, 3, true), pt(25, 2.5)])]]),
        anomalies: [anomaly(1, 20, 30, false)],
        states: new Map([
          [1, '{"a":2}'],
          [2, '{"b":1}'],
        ]),
      });
      s = await s.reopen();
      const cp = s.checkpoints.load();
      expect(cp.offset).toBe(9);
      expect(cp.states).toEqual(
        new Map([
          [1, '{"a":2}'],
          [2, '{"b":1}'],
        ]),
      );
      // Sorted by ts even though the second chunk holds a late point (25 after 30).
      expect(s.checkpoints.range(1, 0, 100)).toEqual([
        pt(10, 1),
        pt(20, 2, true),
        pt(25, 2.5),
        pt(30, 3, true),
      ]);
      expect(s.checkpoints.range(1, 20, 30).map((p) => p.ts)).toEqual([20, 25]);
      expect(s.checkpoints.range(2, 0, 100)).toEqual([]);
      const anomalies = s.checkpoints.anomalies({ limit: 10 });
      expect(anomalies).toEqual([anomaly(1, 20, 30, false)]);
      expect(s.checkpoints.anomalies({ limit: 10, openOnly: true })).toEqual([]);
      expect(s.checkpoints.anomalies({ limit: 10, from: 31 })).toEqual([]);
      expect(s.checkpoints.anomalies({ limit: 10, seriesIds: [2] })).toEqual([]);
      await s.close();
    });

    it('ConfigStore: a config is durable when set and replaced by the next', async () => {
      let s = await open();
      s.configs.setConfig(5, { detector: 'ewma', params: { alpha: 0.1 }, threshold: 0.9 });
      s.configs.setConfig(5, { detector: 'ewma', params: { alpha: 0.2 }, threshold: 0.95 });
      s = await s.reopen();
      expect(s.configs.getConfig(5)).toEqual({ detector: 'ewma', params: { alpha: 0.2 }, threshold: 0.95 });
      expect(s.configs.getConfig(6)).toBeUndefined();
      expect([...s.configs.allConfigs().keys()]).toEqual([5]);
      await s.close();
    });
  });
}
