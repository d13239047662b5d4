/**
 * What InfluxDB charges per field, and what the compact layout gains:
 * `VIGIL_INFLUX_URL=http://127.0.0.1:PORT npx node bench/influx-fields.ts [--points 200000]
 * [--series 10000] [--rounds 3]` (the URL is what `scripts/services/influxdb.sh up` prints).
 * Prints points/s; never gates on time. Uses the database `vigil_bench_fields`, dropped at the end.
 *
 * Writes `--points` points over `--series` series through our InfluxClient (20,000 lines per
 * request, 4 in flight), `--rounds` times each, in alternating order, into a fresh database every
 * time, in three layouts: the 7 fields of `influx.layout: fields` and the 3 of `compact` (value,
 * score, band string), both formatted by InfluxPointStore's own `formatLine`, and a reference of
 * just 2 fields (value, score). Every point has a band, as the detectors' points do; 1 in 100 is
 * anomalous. The gap between the layouts is what the fields cost InfluxDB itself, apart from our
 * formatting (timed separately, per line, for each layout).
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { formatLine, InfluxClient, type InfluxLayout } from '../src/adapters/influx/index.ts';

const { values } = parseArgs({
  options: {
    points: { type: 'string', default: '200000' },
    series: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
  },
});
const url = process.env.VIGIL_INFLUX_URL;
if (url === undefined) throw new Error('set VIGIL_INFLUX_URL (scripts/services/influxdb.sh up prints it)');
const database = 'vigil_bench_fields';
const points = Number(values.points);
const series = Number(values.series);
const rounds = Number(values.rounds);
const client = new InfluxClient({ url, database });

type Variant = InfluxLayout | 'value+score';
const VARIANTS: Variant[] = ['fields', 'compact', 'value+score'];
const FIELDS: Record<Variant, number> = { fields: 7, compact: 3, 'value+score': 2 };

let ts = 1_800_000_000_000;
function lines(variant: Variant): { lines: string[]; formatNsPerLine: number } {
  const out: string[] = [];
  let formatNs = 0;
  for (let i = 0; i < points; i++) {
    const s = i % series;
    if (s === 0) ts += 1000;
    const value = 10 + ((i * 7919) % 1000) / 1000 + Math.random() * 1e-9;
    const prefix = `bench_fields,series=s${s},vigil_sid=${s + 1}`;
    const started = process.hrtime.bigint();
    out.push(
      variant === 'value+score'
        ? `${prefix} value=${value},score=${value / 11} ${ts}`
        : formatLine(variant, prefix, ts, {
            value,
            score: value / 11,
            anomalous: i % 100 === 0,
            expected: value + 0.013,
            lower: value - 1.07,
            upper: value + 1.09,
          }),
    );
    formatNs += Number(process.hrtime.bigint() - started);
  }
  return { lines: out, formatNsPerLine: formatNs / points };
}

const results = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
process.stdout.write(
  `influx-fields: ${points.toLocaleString('en-US')} points over ${series.toLocaleString('en-US')} series, ` +
    `${rounds} rounds; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} (${cpus().length} cpus)\n`,
);
try {
  for (let round = 0; round < rounds; round++) {
    for (const variant of round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
      await client.command(`DROP DATABASE ${database}`);
      await client.ensureDatabase();
      const { lines: batch, formatNsPerLine } = lines(variant);
      const started = performance.now();
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < points; i += 20_000) {
        inFlight.push(client.write(batch.slice(i, i + 20_000), 'ms', database));
        if (inFlight.length >= 4) await inFlight.shift();
      }
      await Promise.all(inFlight);
      const rate = points / ((performance.now() - started) / 1000);
      results.get(variant)!.push(rate);
      const bytes = batch.reduce((n, l) => n + l.length + 1, 0) / points;
      process.stdout.write(
        `round ${round + 1} ${variant} (${FIELDS[variant]} fields): ${Math.round(rate).toLocaleString('en-US')} points/s ` +
          `(${bytes.toFixed(0)} bytes per line, formatted in ${(formatNsPerLine / 1000).toFixed(2)} µs)\n`,
      );
    }
  }
} finally {
  await client.command(`DROP DATABASE ${database}`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(results.get('fields')!);
for (const v of VARIANTS) {
  const m = median(results.get(v)!);
  process.stdout.write(
    `${v}: median ${Math.round(m).toLocaleString('en-US')} points/s (${(m / base).toFixed(2)}× fields)\n`,
  );
}
const ratios = results.get('compact')!.map((c, i) => c / results.get('fields')![i]!);
process.stdout.write(
  `compact ÷ fields, round by round: ${ratios.map((r) => `${r.toFixed(2)}×`).join(' ')}; ` +
    `goal ≥ 2×: ${median(ratios) >= 2 ? 'met' : 'not met'} (median ${median(ratios).toFixed(2)}×); ` +
    `load average now ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}\n`,
);
