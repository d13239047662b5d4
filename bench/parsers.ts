/**
 * Ingest parser throughput: `npx node bench/parsers.ts [seconds-per-case]`. Prints points/s;
 * never gates on time.
 *
 * The realistic batch is 1,000 points over 100 series (10 timestamps each) with Telegraf-like
 * tags, about 80-130 bytes a point as text. remote_write also runs Prometheus-shaped batches
 * (1,000 series, one sample each) with its label memo warm (the steady state: the same series
 * every scrape) and cold (every series new), and, for comparison, the same work done with
 * protobufjs instead of the hand-written reader.
 *
 * JSON also runs the shape of `vigil bench ingest` (metric bench_cpu, tags
 * `{"host":"h123","dc":"d4"}`, 10,000 series round-robin, 100 or 1,000 points per request) through
 * parseJsonPoints (fast path, memo warm) and through the reference path it falls back to.
 * A second argument runs only the cases whose name contains it: `npx node bench/parsers.ts 2 json`.
 */
import protobuf from 'protobufjs';
import { BatchBuilder } from '../src/adapters/ingest/batch.ts';
import {
  encodeJsonPoints,
  encodeLineProtocol,
  encodeNdjsonPoints,
  encodeRemoteWrite,
  type RemoteWriteSeries,
} from '../src/adapters/ingest/encode.ts';
import { parseJsonPoints, parseJsonPointsReference, parseNdjsonPoints } from '../src/adapters/ingest/json.ts';
import { parseLineProtocol } from '../src/adapters/ingest/line-protocol.ts';
import { decodeRemoteWrite } from '../src/adapters/ingest/remote-write.ts';
import { decodeSnappyBlock } from '../src/adapters/ingest/snappy.ts';
import type { IngestPoint } from '../src/core/point.ts';
import { DEFAULT_SERIES_LIMITS, seriesKey, validateSeries } from '../src/core/series.ts';
import type { IngestLimits } from '../src/ports/ingest-format.ts';

const seconds = Number(process.argv[2] ?? 1);
const only = process.argv[3] ?? '';
const limits: IngestLimits = { maxPoints: 100_000, series: DEFAULT_SERIES_LIMITS };
const T0 = 1_700_000_000_000;
const FIELDS = ['usage_user', 'usage_system', 'usage_idle', 'usage_iowait', 'usage_steal'];

/** 100 series: 20 hosts × 5 fields; 10 timestamps each, series-major within a timestamp like Telegraf. */
function batch(value: () => number): IngestPoint[] {
  const points: IngestPoint[] = [];
  for (let t = 0; t < 10; t++) {
    for (let h = 0; h < 20; h++) {
      const tags = { host: `server-${String(h).padStart(3, '0')}`, region: 'eu-west-1', cpu: 'cpu-total' };
      for (const f of FIELDS) points.push({ metric: `cpu_${f}`, tags, ts: T0 + t * 10_000, value: value() });
    }
  }
  return points;
}

/** One remote_write series per distinct metric and tags, `job` added. */
function rwSeries(points: IngestPoint[]): RemoteWriteSeries[] {
  const by = new Map<string, RemoteWriteSeries>();
  for (const p of points) {
    const id = seriesKey(p.metric, p.tags);
    let s = by.get(id);
    if (s === undefined) {
      s = { labels: { __name__: p.metric, ...p.tags, job: 'node' }, samples: [] };
      by.set(id, s);
    }
    (s.samples as { ts: number; value: number }[]).push({ ts: p.ts, value: p.value });
  }
  return [...by.values()];
}

/** 1,000 series with one sample each; `round` makes every series of every round distinct. */
function prometheusBody(points: IngestPoint[], round: number): Uint8Array {
  return encodeRemoteWrite(
    rwSeries(
      points.map((p, i) => ({
        ...p,
        tags: { ...p.tags, instance: `10.${round}.${i >> 8}.${i & 255}:9100` },
      })),
    ),
  );
}

/**
 * Runs `fn` for the configured time and prints points/s by wall clock and by this process' CPU
 * time: on a machine shared with other work the CPU figure is the steadier one. The last column,
 * CPU µs per point in the best tenth of the run, is the least disturbed by other processes.
 */
function run(name: string, bytes: number, points: number, fn: () => number): void {
  if (!name.includes(only)) return;
  for (let i = 0; i < 200; i++) fn(); // warm up the JIT
  let n = 0;
  let got = 0;
  let best = Number.POSITIVE_INFINITY;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const until = start + seconds * 1000;
  while (performance.now() < until) {
    const windowEnd = Math.min(until, performance.now() + seconds * 100);
    const windowCpu = process.cpuUsage();
    let m = 0;
    while (performance.now() < windowEnd) {
      for (let i = 0; i < 20; i++) got += fn();
      m += 20;
    }
    const w = process.cpuUsage(windowCpu);
    best = Math.min(best, (w.user + w.system) / (m * points));
    n += m;
  }
  const wall = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1e6;
  if (got !== n * points) throw new Error(`${name}: parsed ${got / n} points, expected ${points}`);
  const rate = (s: number) =>
    Math.round((n * points) / s)
      .toLocaleString('en-US')
      .padStart(11);
  console.log(
    `${name.padEnd(50)} ${rate(wall)} ${rate(cpu)} ${((n * bytes) / cpu / 1e6).toFixed(0).padStart(5)} ${(bytes / points).toFixed(0).padStart(5)} ${best.toFixed(3).padStart(9)}`,
  );
}

const points = batch(() => Math.round(Math.random() * 1e6) / 1e4);
const json = encodeJsonPoints(points);
const ndjson = encodeNdjsonPoints(points);
const lpSingle = points.map((p) => encodeLineProtocol([p], 'ns')).join('');
const lpMulti = encodeLineProtocol(points, 'ns');
// Telegraf computes most values (usage percentages): full 16-17 digit floats, the slow number path.
const lpFull = encodeLineProtocol(
  batch(() => Math.random() * 100),
  'ns',
);
const rwBatch = encodeRemoteWrite(rwSeries(points));
const rwProm = prometheusBody(points, 0);
// 40 bodies of 1,000 new series each: more distinct label sets than the memo holds (16,384).
const rwCold = Array.from({ length: 40 }, (_, round) => prometheusBody(points, round + 1));
let coldNext = 0;

/** Request bodies as ingest-loadgen.ts writes them: together they visit each series once. */
function loadgenBodies(seriesCount: number, perRequest: number): string[] {
  const tags = Array.from(
    { length: seriesCount },
    (_, s) => `{"host":"h${s % 1000}","dc":"d${Math.floor(s / 1000)}"}`,
  );
  const bodies: string[] = [];
  for (let first = 0; first < seriesCount; first += perRequest) {
    let out = '{"points":[';
    for (let s = first; s < first + perRequest; s++) {
      const v = 50 + 10 * Math.sin(s) + (s % 7);
      out += `${s === first ? '' : ','}{"metric":"bench_cpu","tags":${tags[s]},"ts":${T0},"value":${v.toFixed(3)}}`;
    }
    // Flat, like the server's Buffer.toString(); a concatenated string would first be flattened.
    bodies.push(Buffer.from(`${out}]}`).toString());
  }
  return bodies;
}
const loadgen100 = loadgenBodies(10_000, 100);
const loadgen1000 = loadgenBodies(10_000, 1000);
let loadgenNext = 0;
/** Parses the next body of `bodies` round-robin: every series recurs once per round. */
function nextBody(bodies: string[], parse: (text: string, limits: IngestLimits) => { points: unknown[] }) {
  loadgenNext = (loadgenNext + 1) % bodies.length;
  return parse(bodies[loadgenNext]!, limits).points.length;
}

const WriteRequest = protobuf.Root.fromJSON({
  nested: {
    WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
    TimeSeries: {
      fields: {
        labels: { rule: 'repeated', type: 'Label', id: 1 },
        samples: { rule: 'repeated', type: 'Sample', id: 2 },
      },
    },
    Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
    Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
  },
}).lookupType('WriteRequest');
interface PbRequest {
  timeseries: {
    labels: { name: string; value: string }[];
    samples: { value: number; timestamp: unknown }[];
  }[];
}

/** The alternative design: protobufjs decoding, then the same series handling as decodeRemoteWrite. */
function viaProtobufjs(body: Uint8Array): number {
  const msg = WriteRequest.decode(decodeSnappyBlock(body, 1 << 26)) as unknown as PbRequest;
  const out = new BatchBuilder(limits.maxPoints);
  for (const ts of msg.timeseries) {
    let metric = '';
    const tags: Record<string, string> = {};
    for (const l of ts.labels) {
      if (l.name === '__name__') metric = l.value;
      else if (l.value !== '') tags[l.name] = l.value;
    }
    const key = seriesKey(metric, tags);
    let slot = out.series(key);
    if (slot === undefined) {
      validateSeries(metric, tags, limits.series, {});
      slot = out.addSeries(key, metric, tags);
    }
    for (const s of ts.samples) out.push(slot, Number(s.timestamp), s.value);
  }
  return out.points.length;
}

console.log(`node ${process.version}, ${seconds}s per case, 1,000 points per request`);
console.log(
  `${'case'.padEnd(50)} ${'points/s'.padStart(11)} ${'per CPU-s'.padStart(11)} ${'MB/s'.padStart(5)} ${'B/pt'.padStart(5)} ${'best µs/pt'.padStart(9)}`,
);
run('json', json.length, 1000, () => parseJsonPoints(json, limits).points.length);
run('json, reference path', json.length, 1000, () => parseJsonPointsReference(json, limits).points.length);
for (const [bodies, n] of [
  [loadgen100, 100],
  [loadgen1000, 1000],
] as const) {
  const bytes = bodies[0]!.length;
  run(`json, bench ingest shape, ${n} points of 10,000 series`, bytes, n, () =>
    nextBody(bodies, parseJsonPoints),
  );
  run(`json, bench ingest shape, ${n} points, reference path`, bytes, n, () =>
    nextBody(bodies, parseJsonPointsReference),
  );
}
run('ndjson', ndjson.length, 1000, () => parseNdjsonPoints(ndjson, limits).points.length);
run(
  'line protocol, 1 field per line',
  lpSingle.length,
  1000,
  () => parseLineProtocol(lpSingle, 'ns', T0, limits).points.length,
);
run(
  'line protocol, 5 fields per line (Telegraf)',
  lpMulti.length,
  1000,
  () => parseLineProtocol(lpMulti, 'ns', T0, limits).points.length,
);
run(
  'line protocol, 5 fields per line, 17-digit floats',
  lpFull.length,
  1000,
  () => parseLineProtocol(lpFull, 'ns', T0, limits).points.length,
);
run(
  'remote_write, 100 series x 10 samples',
  rwBatch.length,
  1000,
  () => decodeRemoteWrite(rwBatch, limits).points.length,
);
run(
  'remote_write, 1000 series x 1 sample, memo warm',
  rwProm.length,
  1000,
  () => decodeRemoteWrite(rwProm, limits).points.length,
);
run('remote_write, 1000 series x 1 sample, all new', rwProm.length, 1000, () => {
  coldNext = (coldNext + 1) % rwCold.length;
  return decodeRemoteWrite(rwCold[coldNext]!, limits).points.length;
});
run('  protobufjs + same handling, 100 series x 10', rwBatch.length, 1000, () => viaProtobufjs(rwBatch));
run('  protobufjs + same handling, 1000 series x 1', rwProm.length, 1000, () => viaProtobufjs(rwProm));
