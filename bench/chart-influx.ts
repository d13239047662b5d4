/**
 * A chart's read scaled out (`vigil api` over InfluxDB): `VIGIL_INFLUX_URL=http://127.0.0.1:PORT
 * npx node bench/chart-influx.ts [points] [runs]` (default 1,000,000 points, 3 reads; the URL is
 * what `scripts/services/influxdb.sh up` prints). Prints figures; never gates on time. Uses the
 * database `vigil_bench_chart`, dropped at the end.
 *
 * Writes one series of `points` points 10 s apart through InfluxPointStore (the default layout),
 * then times what GET /api/v1/points does in `vigil api` for the whole series at `maxPoints`
 * 1,200 (src/app/query-service.ts): now InfluxPointStore.downsampled (count, anomalies, TOP and
 * BOTTOM per GROUP BY time() bucket, inside InfluxDB), and before it, every point of the range
 * read back (`range`) and downsampled in the API process.
 */
import { loadavg } from 'node:os';
import { InfluxClient, openInfluxPointStore } from '../src/adapters/influx/index.ts';
import { downsample } from '../src/core/downsample.ts';
import { PointColumns } from '../src/core/point-columns.ts';

const url = process.env.VIGIL_INFLUX_URL;
if (url === undefined) throw new Error('set VIGIL_INFLUX_URL (scripts/services/influxdb.sh up prints it)');
const POINTS = Number(process.argv[2] ?? 1_000_000);
const RUNS = Number(process.argv[3] ?? 3);
const database = 'vigil_bench_chart';
const T0 = Date.UTC(2025, 0, 1);
const store = await openInfluxPointStore(
  { url, database },
  { get: async (id) => ({ id, key: 'chart{h="a"}', metric: 'chart', tags: { h: 'a' }, createdMs: 0 }) },
);
try {
  console.log(`load average ${loadavg()[0]!.toFixed(1)}`);
  const started = performance.now();
  for (let from = 0; from < POINTS; from += 100_000) {
    const c = new PointColumns(100_000);
    for (let i = from; i < Math.min(POINTS, from + 100_000); i++) {
      const v = 10 + Math.sin(i / 360) * 3;
      c.push({
        ts: T0 + i * 10_000,
        value: v,
        score: 0.1,
        expected: v,
        lower: v - 1,
        upper: v + 1,
        anomalous: i % 50_000 === 7,
      });
    }
    await store.write(new Map([[1, c]]));
  }
  console.log(`wrote ${POINTS} points in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (let r = 0; r < RUNS; r++) {
    let t = performance.now();
    const ans = await store.downsampled(1, 0, Number.MAX_SAFE_INTEGER, 1200);
    const inside = performance.now() - t;
    t = performance.now();
    const all = await store.range(1, 0, Number.MAX_SAFE_INTEGER);
    const kept = downsample(all, 1200);
    const before = performance.now() - t;
    console.log(
      `downsampled in InfluxDB: ${ans.total} points → ${ans.points.length} in ${inside.toFixed(0)} ms; ` +
        `read all then downsampled: ${all.length} → ${kept.length} in ${before.toFixed(0)} ms (load ${loadavg()[0]!.toFixed(1)})`,
    );
  }
} finally {
  await new InfluxClient({ url, database }).command(`DROP DATABASE "${database}"`);
}
