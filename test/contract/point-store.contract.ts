/** Contract of PointSink + PointStore: idempotent writes of scored points, ordered range reads. */
import { describe, expect, it } from 'vitest';
import type { ScoredPoint } from '../../src/core/point.ts';
import { PointColumns } from '../../src/core/point-columns.ts';
import type { PointSink, PointStore } from '../../src/ports/point-store.ts';
import { pt } from './fixtures.ts';

export interface PointsUnderTest {
  sink: PointSink;
  store: PointStore;
  /** Makes a series known to the adapter (adapters that store by metric and tags look it up). */
  register(id: number, key: string, metric: string, tags: Record<string, string>): void;
  close(): Promise<void>;
}

export function pointStoreContract(name: string, open: () => Promise<PointsUnderTest>): void {
  describe(`PointStore contract: ${name}`, () => {
    // A point without a band has NaN expected/lower/upper (see ScoredPoint).
    it('writes read back exactly, in ts order, per series and half-open range', async () => {
      const s = await open();
      s.register(1, 'cpu{host="a"}', 'cpu', { host: 'a' });
      s.register(2, 'cpu{host="b"}', 'cpu', { host: 'b' });
      const noBand: ScoredPoint = {
        ts: 40,
        value: -0.5,
        score: 0,
        expected: Number.NaN,
        lower: Number.NaN,
        upper: Number.NaN,
        anomalous: false,
      };
      await s.sink.write(new Map([[1, PointColumns.of([pt(30, 0.1 + 0.2, true), pt(10, 1), noBand])]]));
      await s.sink.write(new Map([[2, PointColumns.of([pt(10, 7)])]]));
      expect(await s.store.range(1, 0, 100)).toEqual([pt(10, 1), pt(30, 0.1 + 0.2, true), noBand]);
      expect(await s.store.range(1, 10, 40)).toEqual([pt(10, 1), pt(30, 0.1 + 0.2, true)]);
      expect(await s.store.range(2, 0, 100)).toEqual([pt(10, 7)]);
      expect(await s.store.range(1, 50, 100)).toEqual([]);
      // The widest range the query API asks for (epoch to the year 2999).
      expect((await s.store.range(1, 0, 32503680000000)).map((p) => p.ts)).toEqual([10, 30, 40]);
      await s.close();
    });

    it('rewriting a (series, ts) replaces the point: replays are idempotent', async () => {
      const s = await open();
      s.register(3, 'm', 'm', {});
      await s.sink.write(new Map([[3, PointColumns.of([pt(5, 1), pt(6, 2)])]]));
      await s.sink.write(new Map([[3, PointColumns.of([pt(5, 1), pt(6, 2)])]]));
      await s.sink.write(new Map([[3, PointColumns.of([pt(6, 9, true)])]]));
      expect(await s.store.range(3, 0, 10)).toEqual([pt(5, 1), pt(6, 9, true)]);
      await s.close();
    });
  });
}
