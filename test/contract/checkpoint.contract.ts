/**
 * Contract of CheckpointStore with the PointStore and AnomalyStore that read what it committed:
 * SQLite embedded; PostgreSQL (+ a PointSink: InfluxDB or memory) scaled out.
 */
import { describe, expect, it } from 'vitest';
import { PointColumns } from '../../src/core/point-columns.ts';
import type { CheckpointStore } from '../../src/ports/checkpoint-store.ts';
import type { AnomalyStore } from '../../src/ports/meta-store.ts';
import type { PointStore } from '../../src/ports/point-store.ts';
import { anomaly, pt, type Reopenable } from './fixtures.ts';

export interface CheckpointsUnderTest extends Reopenable<CheckpointsUnderTest> {
  checkpoints: CheckpointStore;
  points: PointStore;
  anomalies: AnomalyStore;
}

export function checkpointContract(name: string, open: () => Promise<CheckpointsUnderTest>): void {
  describe(`CheckpointStore contract: ${name}`, () => {
    it('points, anomalies, states and offset commit together and load back', async () => {
      let s = await open();
      expect(await s.checkpoints.load()).toEqual({ offset: 0, states: new Map() });
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
      const cp = await s.checkpoints.load();
      expect(cp.offset).toBe(9);
      expect(cp.states).toEqual(
        new Map([
          [1, '{"a":2}'],
          [2, '{"b":1}'],
        ]),
      );
      // Sorted by ts even though the second checkpoint holds a late point (25 after 30).
      expect(await s.points.range(1, 0, 100)).toEqual([
        pt(10, 1),
        pt(20, 2, true),
        pt(25, 2.5),
        pt(30, 3, true),
      ]);
      expect((await s.points.range(1, 20, 30)).map((p) => p.ts)).toEqual([20, 25]);
      expect(await s.points.range(2, 0, 100)).toEqual([]);
      expect(await s.anomalies.anomalies({ limit: 10 })).toEqual([anomaly(1, 20, 30, false)]);
      expect(await s.anomalies.anomalies({ limit: 10, openOnly: true })).toEqual([]);
      expect(await s.anomalies.anomalies({ limit: 10, from: 31 })).toEqual([]);
      expect(await s.anomalies.anomalies({ limit: 10, seriesIds: [2] })).toEqual([]);
      expect(await s.anomalies.anomalies({ limit: 10, seriesIds: [] })).toEqual([]);
      await s.close();
    });

    it('anomalies: newest start first, filters and limit', async () => {
      const s = await open();
      const list = [anomaly(1, 100, 150, false), anomaly(2, 300, 300, true), anomaly(3, 200, 260, false)];
      list[2]!.peakScore = 0.5;
      await s.checkpoints.commit({ offset: 1, points: new Map(), anomalies: list, states: new Map() });
      const starts = async (q: Parameters<AnomalyStore['anomalies']>[0]) =>
        (await s.anomalies.anomalies(q)).map((a) => a.start);
      expect(await starts({ limit: 10 })).toEqual([300, 200, 100]);
      expect(await starts({ limit: 2 })).toEqual([300, 200]);
      expect(await starts({ limit: 10, minScore: 0.9 })).toEqual([300, 100]);
      expect(await starts({ limit: 10, from: 150, to: 300 })).toEqual([200, 100]);
      expect(await starts({ limit: 10, openOnly: true })).toEqual([300]);
      expect(await starts({ limit: 10, seriesIds: [1, 3] })).toEqual([200, 100]);
      await s.close();
    });

    it('anomalies keep the model version that scored them, through a reopen', async () => {
      let s = await open();
      const withModel = { ...anomaly(1, 100, 150, false), model: { name: 'cpu-model', version: '12' } };
      await s.checkpoints.commit({
        offset: 1,
        points: new Map(),
        anomalies: [withModel, anomaly(2, 200, 200, true)],
        states: new Map(),
      });
      s = await s.reopen();
      expect(await s.anomalies.anomalies({ limit: 10 })).toEqual([anomaly(2, 200, 200, true), withModel]);
      await s.close();
    });
  });
}
