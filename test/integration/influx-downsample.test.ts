/**
 * A chart's range downsampled inside a real InfluxDB 1.x (InfluxPointStore.downsampled, what
 * `vigil api` answers GET /api/v1/points with), in both layouts: the count of the range, every
 * anomalous point, and each time bucket's highest and lowest point, each a stored point whole
 * (its own time and fields); the whole range when it fits.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxClient, type InfluxLayout, InfluxPointStore } from '../../src/adapters/influx/index.ts';
import { quoteIdent } from '../../src/adapters/influx/influxql.ts';
import type { ScoredPoint } from '../../src/core/point.ts';
import { PointColumns } from '../../src/core/point-columns.ts';
import type { SeriesInfo } from '../../src/ports/series-catalog.ts';
import { service } from '../support/services.ts';

const database = `vigil_test_ds_${randomUUID().slice(0, 8)}`;
const info: SeriesInfo = { id: 1, key: 'ds{h="a"}', metric: 'ds', tags: { h: 'a' }, createdMs: 0 };
let client: InfluxClient;

beforeAll(async () => {
  client = new InfluxClient({ url: service('influxdb').VIGIL_INFLUX_URL!, database });
  await client.ensureDatabase();
});

afterAll(async () => {
  await client?.command(`DROP DATABASE ${quoteIdent(database)}`);
});

const N = 20_000;
const T0 = 1_700_000_000_000;
/** Distinct values (a permutation), so each bucket has one highest and one lowest point. */
const stored: ScoredPoint[] = Array.from({ length: N }, (_, i) => {
  const value = (i * 7919) % 20_011;
  return {
    ts: T0 + i * 10_000 + (i % 3),
    value,
    score: (i % 100) / 100,
    expected: value + 1,
    lower: value - 5,
    upper: value + 5,
    anomalous: i % 1_777 === 5,
  };
});

/** What the rule keeps, bucketed as the store buckets (width ⌈span / buckets⌉ from the first point). */
function expected(points: readonly ScoredPoint[], maxPoints: number): ScoredPoint[] {
  const keep = new Map<number, ScoredPoint>();
  for (const p of points) if (p.anomalous) keep.set(p.ts, p);
  const buckets = Math.floor((maxPoints - keep.size) / 2);
  const first = points[0]!.ts;
  const width = Math.ceil((points[points.length - 1]!.ts - first + 1) / buckets);
  const hi = new Map<number, ScoredPoint>();
  const lo = new Map<number, ScoredPoint>();
  for (const p of points) {
    const b = Math.floor((p.ts - first) / width);
    if (!hi.has(b) || p.value > hi.get(b)!.value) hi.set(b, p);
    if (!lo.has(b) || p.value < lo.get(b)!.value) lo.set(b, p);
  }
  for (const p of [...hi.values(), ...lo.values()]) keep.set(p.ts, p);
  return [...keep.values()].sort((a, b) => a.ts - b.ts);
}

for (const layout of ['compact', 'fields'] as InfluxLayout[]) {
  describe(`InfluxPointStore.downsampled (influx.layout ${layout})`, () => {
    it("keeps each bucket's highest and lowest point and every anomalous one, whole", async () => {
      const store = new InfluxPointStore({ client, database, layout, series: { get: async () => info } });
      await client.command(`DELETE FROM /.*/`, database);
      await store.write(new Map([[1, PointColumns.of(stored)]]));
      const whole = await store.downsampled(1, 0, Number.MAX_SAFE_INTEGER, 300);
      expect(whole.total).toBe(N);
      expect(whole.points.length).toBeLessThanOrEqual(300);
      expect(whole.points).toEqual(expected(stored, 300));
      expect(whole.points.filter((p) => p.anomalous)).toHaveLength(stored.filter((p) => p.anomalous).length);

      // A range inside: counted and bucketed from its own first point.
      const from = stored[3_001]!.ts;
      const to = stored[15_000]!.ts;
      const inside = stored.filter((p) => p.ts >= from && p.ts < to);
      const part = await store.downsampled(1, from, to, 120);
      expect(part.total).toBe(inside.length);
      expect(part.points).toEqual(expected(inside, 120));

      // Fits: every point of the range, as range() reads them.
      const small = await store.downsampled(1, stored[10]!.ts, stored[60]!.ts, 100);
      expect(small).toEqual({ total: 50, points: stored.slice(10, 60) });
      expect(await store.downsampled(2, 0, 1e15, 100)).toEqual({ total: 0, points: [] });
    });
  });
}
