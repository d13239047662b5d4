/**
 * What InfluxDB charges per field: `VIGIL_INFLUX_URL=http://127.0.0.1:PORT npx node bench/influx-fields.ts
 * [--points 200000] [--series 10000]` (the URL is what `scripts/services/influxdb.sh up` prints).
 * Prints points/s; never gates on time. Uses the database `vigil_bench_fields`, dropped at the end.
 *
 * Writes `--points` points over `--series` series through our InfluxClient (20,000 lines per
 * request, 4 requests in flight), twice each, alternating: the 7 fields the detectors' scores are
 * stored with (InfluxPointStore: anomalous, missing, value, score, expected, lower, upper) and
 * just 2 (value, score), same series keys and timestamps scheme. The gap between the two is what
 * the schema's fields cost in InfluxDB itself, apart from our formatting.
 */
import { parseArgs } from 'node:util';
import { InfluxClient } from '../src/adapters/influx/index.ts';

const { values } = parseArgs({
  options: { points: { type: 'string', default: '200000' }, series: { type: 'string', default: '10000' } },
});
const url = process.env.VIGIL_INFLUX_URL;
if (url === undefined) throw new Error('set VIGIL_INFLUX_URL (scripts/services/influxdb.sh up prints it)');
const database = 'vigil_bench_fields';
const points = Number(values.points);
const series = Number(values.series);
const client = new InfluxClient({ url, database });

await client.command(`DROP DATABASE ${database}`);
await client.ensureDatabase();
let ts = 1_800_000_000_000;
try {
  for (const fields of [7, 2, 7, 2]) {
    const lines: string[] = [];
    for (let i = 0; i < points; i++) {
      const s = i % series;
      if (s === 0) ts += 1000;
      const v = 10 + ((i * 7919) % 1000) / 1000;
      const body =
        fields === 7
          ? `anomalous=false,missing=0,value=${v},score=${v / 11},expected=${v + 0.01},lower=${v - 1},upper=${v + 1}`
          : `value=${v},score=${v / 11}`;
      lines.push(`bench_fields,series=s${s},vigil_sid=${s + 1} ${body} ${ts}`);
    }
    const started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < points; i += 20_000) {
      inFlight.push(client.write(lines.slice(i, i + 20_000), 'ms', database));
      if (inFlight.length >= 4) await inFlight.shift();
    }
    await Promise.all(inFlight);
    const seconds = (performance.now() - started) / 1000;
    const bytes = lines.reduce((n, l) => n + l.length + 1, 0) / points;
    process.stdout.write(
      `${fields} fields: ${Math.round(points / seconds).toLocaleString('en-US')} points/s (${bytes.toFixed(0)} bytes per line)\n`,
    );
  }
} finally {
  await client.command(`DROP DATABASE ${database}`);
}
