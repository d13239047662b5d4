/**
 * `vigil bench kafka`, the run (the command and its options: kafka.ts): one detector worker (the `vigil detector` path: KafkaPartitionedLog.join +
 * PartitionTasks, checkpoints to PostgreSQL + InfluxDB) on the local deployment's services, which
 * it brings up through scripts/services/*.sh when they are not running. Cases (kafka-throughput-case.ts,
 * kafka-sustained-case.ts, kafka-latency-case.ts): `single` (1-point messages) and `batch100`
 * (100-point messages) for throughput, `sustained` (the highest rate scored and stored with no
 * growing lag), `latency` at a fixed rate (default: half the sustained rate, else half the single
 * case's) with a short and the default checkpoint interval, `transport` (Kafka alone at that rate),
 * and `peers`: the Kafka client layer against KafkaJS on the same topics (kafka-peers.ts). The
 * output ends with issue 19 item 3's goals, each marked met or not (goalsOf).
 * Everything lives under names unique to the run and is deleted at the end (unless --keep).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { listOf } from '../../config/schema.ts';
import { builtinDetectors } from '../../core/detectors/index.ts';
import { pipelinesOf } from '../../core/pipeline/pipelines.ts';
import { CASES, type KafkaBenchOptions } from './kafka.ts';
import type { CaseContext, Progress } from './kafka-case-support.ts';
import { type Goal, goalsOf } from './kafka-goals.ts';
import { type LatencyCase, latencyCase, type TransportCase, transportCase } from './kafka-latency-case.ts';
import { type PeerClient, type PeerRun, runPeer } from './kafka-peers.ts';
import { openStack, servicesUp } from './kafka-stack.ts';
import { type SustainedCase, type SustainedStep, sustainedCase } from './kafka-sustained-case.ts';
import { type ThroughputCase, throughputCase } from './kafka-throughput-case.ts';
import { seriesKeyOf } from './kafka-workload.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../..');
const PEERS: PeerClient[] = ['vigil-adapter', 'platformatic-stream', 'kafkajs'];

export interface KafkaBenchResult {
  name: 'kafka';
  /** Names the run's topics (`vigil-bench-<run>.*`), schema and database (`bench_kafka_<run>`). */
  run: string;
  date: string;
  /** `git describe --always --dirty` of the tree that ran. */
  commit: string;
  command: string;
  detector: string;
  defaultDetector: string;
  /** influx.layout the worker wrote with. */
  influxLayout: string;
  /** Config keys set with --set. */
  set: string[];
  series: number;
  partitions: number;
  cases: (ThroughputCase | LatencyCase | TransportCase | SustainedCase)[];
  /** Issue 19 item 3's goals, each with its verdict (those the run's cases measure). */
  goals: Goal[];
  peers: (PeerRun & { vsKafkajs?: number })[];
  /** Cases that did not complete, with the reason. */
  failures: { case: string; error: string }[];
  machine: {
    cpus: number;
    cpu: string;
    node: string;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
    note: string;
  };
  versions: Record<string, string>;
}

const int = (s: string, what: string): number => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what}: must be a whole number, got "${s}"`);
  return n;
};

const fmt = (x: number | null | undefined, digits = 0): string =>
  x === null || x === undefined
    ? '-'
    : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function progress(label: string, total: number): Progress {
  if (process.stdout.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} |{bar}| {value}/{total}`, stream: process.stdout, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (v) => bar.update(v), stop: () => bar.stop() };
  }
  // Without a terminal: a line every 5 s at most.
  let last = performance.now();
  return {
    update: (v) => {
      if (performance.now() - last < 5_000) return;
      last = performance.now();
      process.stdout.write(`${label}: ${fmt(v)}/${fmt(total)}\n`);
    },
    stop: () => {},
  };
}

function gitDescribe(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function version(pkg: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'absent';
  }
}

interface PeerTopic {
  label: string;
  topic: string;
  messages: number;
  points: number;
}

/** Each client `rounds` times on each topic, in alternating order; the best run of each counts. */
async function peers(
  brokers: string[],
  topics: readonly PeerTopic[],
  rounds: number,
  timeoutMs: number,
): Promise<KafkaBenchResult['peers']> {
  const out: KafkaBenchResult['peers'] = [];
  for (const t of topics) {
    const best = new Map<PeerClient, PeerRun>();
    for (let round = 0; round < rounds; round++) {
      // Alternate the order, so a slow spell of the machine does not always hit the same client.
      for (const client of round % 2 === 0 ? PEERS : [...PEERS].reverse()) {
        const run = await runPeer(client, { brokers, ...t, timeoutMs });
        process.stdout.write(
          `peers ${t.label} round ${round + 1}: ${client} ${fmt(run.messagesPerSec)} messages/s\n`,
        );
        const prev = best.get(client);
        if (prev === undefined || run.messagesPerSec > prev.messagesPerSec) best.set(client, run);
      }
    }
    const kafkajs = best.get('kafkajs')!.messagesPerSec;
    for (const client of PEERS) {
      const run = best.get(client)!;
      out.push(client === 'kafkajs' ? run : { ...run, vsKafkajs: run.messagesPerSec / Math.max(1, kafkajs) });
    }
  }
  return out;
}

/** Columns padded to their widest cell: the first left-aligned, the others right-aligned. */
function grid(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, k) => Math.max(...rows.map((r) => r[k]!.length)));
  return rows.map((r) =>
    r.map((cell, k) => (k === 0 ? cell.padEnd(widths[k]!) : cell.padStart(widths[k]!))).join('  '),
  );
}

function sustainedRows(steps: SustainedStep[], first = 1): string[] {
  return grid([
    [
      'sustained step',
      'at msg/s',
      'sent (failed)',
      'gen lag p99 ms',
      'stored lag slope pts/s',
      'scored lag slope pts/s',
      'stored lag peak 1st/2nd half',
      'drain s',
      'held',
    ],
    ...steps.map((s, i) => [
      String(first + i),
      fmt(s.messagesPerSec),
      `${fmt(s.sent)} (${fmt(s.failed)})`,
      fmt(s.generatorP99LagMs, 1),
      fmt(s.storedLagSlope),
      fmt(s.scoredLagSlope),
      `${fmt(s.storedLagPeakFirstHalf)}/${fmt(s.storedLagPeakSecondHalf)}`,
      fmt(s.drainSeconds, 1),
      s.held ? 'yes' : `no: ${s.why}`,
    ]),
  ]);
}

function table(r: KafkaBenchResult): string {
  const lines: string[] = [];
  const thr = r.cases.filter((c): c is ThroughputCase => 'messagesPerSec' in c);
  const lat = r.cases.filter((c): c is LatencyCase => 'atMessagesPerSec' in c);
  if (thr.length > 0) {
    lines.push(
      ...grid([
        ['case', 'messages', 'pts/msg', 'messages/s', 'points/s', 'join ms', 'scored s', 'stored s'],
        ...thr.map((c) => [
          c.case,
          fmt(c.messages),
          String(c.pointsPerMessage),
          fmt(c.messagesPerSec),
          fmt(c.pointsPerSec),
          fmt(c.joinMs),
          fmt(c.seconds, 2),
          fmt(c.storedSeconds, 2),
        ]),
      ]),
      ...grid([
        ['case', 'stored pts/s', 'checkpoints', 'commit p50 ms', 'commit max ms', 'scored/produced'],
        ...thr.map((c) => [
          c.case,
          fmt(c.storedPointsPerSec),
          fmt(c.checkpoints),
          fmt(c.commitP50Ms, 1),
          fmt(c.commitMaxMs, 1),
          `${fmt(c.pointsScored)}/${fmt(c.points)}`,
        ]),
      ]),
    );
  }
  if (lat.length > 0) {
    lines.push(
      '',
      ...grid([
        [
          'case',
          'ckpt ms',
          'at msg/s',
          'at pts/s',
          'p50 ms',
          'p90 ms',
          'p99 ms',
          'max ms',
          'probes (missed)',
        ],
        ...lat.map((c) => [
          c.case,
          fmt(c.checkpointIntervalMs),
          fmt(c.atMessagesPerSec),
          fmt(c.atPointsPerSec),
          fmt(c.p50Ms, 1),
          fmt(c.p90Ms, 1),
          fmt(c.p99Ms, 1),
          fmt(c.maxMs, 1),
          `${c.probes} (${c.missed})${c.valid ? '' : ' INVALID: sends failed'}`,
        ]),
      ]),
      ...grid([
        [
          'case',
          'kafka p50/p99 ms',
          'to write p50/p99 ms',
          'anomaly write p50/p99 ms',
          'checkpoint commit p50/p99 ms',
          'event loop delay p99/max ms',
          'generator lag p99/max ms',
          'sent failed',
        ],
        ...lat.map((c) => [
          c.case,
          `${fmt(c.deliveredP50Ms, 1)}/${fmt(c.deliveredP99Ms, 1)}`,
          `${fmt(c.toStoreP50Ms, 1)}/${fmt(c.toStoreP99Ms, 1)}`,
          `${fmt(c.anomalyWriteP50Ms, 1)}/${fmt(c.anomalyWriteP99Ms, 1)}`,
          `${fmt(c.commitP50Ms, 1)}/${fmt(c.commitP99Ms, 1)}`,
          `${fmt(c.loopDelayP99Ms, 1)}/${fmt(c.loopDelayMaxMs, 1)}`,
          `${fmt(c.generator.p99LagMs, 1)}/${fmt(c.generator.maxLagMs, 1)}`,
          fmt(c.generator.failed),
        ]),
      ]),
    );
  }
  const tra = r.cases.filter((c): c is TransportCase => 'transportMessagesPerSec' in c);
  if (tra.length > 0) {
    lines.push(
      '',
      ...grid([
        [
          'kafka alone (no engine, no stores)',
          'at msg/s',
          'p50 ms',
          'p90 ms',
          'p99 ms',
          'p99.9 ms',
          'max ms',
          'measured/sent',
          'loop delay p99/max ms',
          'generator lag p99/max ms',
        ],
        ...tra.map((c) => [
          `${c.case} (first ${c.skipSeconds} s not counted)`,
          fmt(c.transportMessagesPerSec),
          fmt(c.p50Ms, 1),
          fmt(c.p90Ms, 1),
          fmt(c.p99Ms, 1),
          fmt(c.p999Ms, 1),
          fmt(c.maxMs, 1),
          `${fmt(c.measured)}/${fmt(c.sent)}${c.valid ? '' : ' INVALID: sends failed'}`,
          `${fmt(c.loopDelayP99Ms, 1)}/${fmt(c.loopDelayMaxMs, 1)}`,
          `${fmt(c.generator.p99LagMs, 1)}/${fmt(c.generator.maxLagMs, 1)}`,
        ]),
      ]),
    );
  }
  const sus = r.cases.filter((c): c is SustainedCase => c.case === 'sustained');
  for (const c of sus) lines.push('', ...sustainedRows(c.steps));
  if (r.goals.length > 0) {
    lines.push('', 'goals (issue 19, item 3):');
    for (const g of r.goals)
      lines.push(
        `  ${g.met === null ? 'measured' : g.met ? 'MET    ' : 'NOT MET'}  ${g.goal}: ${g.measured}`,
      );
  }
  if (r.peers.length > 0) {
    lines.push(
      '',
      ...grid([
        ['consume + decode, no engine', 'topic', 'messages/s', 'points/s', 'first record ms', 'vs kafkajs'],
        ...r.peers.map((p) => [
          p.via.startsWith('KafkaPartitionedLog')
            ? 'our adapter (@platformatic/kafka)'
            : p.client === 'kafkajs'
              ? `kafkajs ${r.versions.kafkajs}`
              : '@platformatic/kafka stream alone',
          p.topic,
          fmt(p.messagesPerSec),
          fmt(p.pointsPerSec),
          fmt(p.firstRecordMs),
          p.vsKafkajs === undefined ? '' : `${p.vsKafkajs.toFixed(2)}×`,
        ]),
      ]),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The command's work, loaded only when `vigil bench kafka` runs (see kafka.ts). */
export async function runKafkaBench(o: KafkaBenchOptions): Promise<void> {
  const cases = new Set(listOf(o.cases));
  for (const c of cases) {
    if (!(CASES as readonly string[]).includes(c)) throw new Error(`--cases: unknown case "${c}"`);
  }
  const seriesCount = int(o.series, '--series');
  const partitions = int(o.partitions, '--partitions');
  const timeoutMs = int(o.timeout, '--timeout') * 1000;
  const loadBefore = loadavg();
  process.stdout.write('bench kafka: bringing up kafka, postgres, influxdb (scripts/services)…\n');
  const env = servicesUp(ROOT);
  const stack = await openStack(env, {
    // The latency case times spikes to their anomalies, so every spike must open one: the
    // detector's raw score against a fixed threshold, as before pipelines calibrated it (a
    // calibrated score learns that spikes recur every few seconds and stops flagging them).
    'engine.pipeline': { detector: { name: o.detector }, calibration: { name: 'none' }, threshold: 0.9995 },
    'kafka.partitions': partitions,
    'influx.layout': o.influxLayout,
    ...Object.fromEntries(
      o.set.map((kv) => {
        const at = kv.indexOf('=');
        if (at <= 0) throw new Error(`--set: expected key=value, got "${kv}"`);
        const v = kv.slice(at + 1);
        return [kv.slice(0, at), v !== '' && Number.isFinite(Number(v)) ? Number(v) : v];
      }),
    ),
  });
  const pipelines = pipelinesOf(builtinDetectors());
  const result: KafkaBenchResult = {
    name: 'kafka',
    run: stack.run,
    date: new Date().toISOString(),
    commit: gitDescribe(),
    command: `npx vigil bench kafka ${process.argv.slice(4).join(' ')}`.trim(),
    detector: pipelines.named(o.detector).name ?? o.detector,
    defaultDetector: `default (= ${pipelines.named('default').name})`,
    influxLayout: stack.config.influx.layout,
    set: o.set,
    series: seriesCount,
    partitions,
    cases: [],
    goals: [],
    peers: [],
    failures: [],
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loadAverageBefore: loadBefore,
      loadAverageAfter: [],
      note: 'shared machine: other work may run beside the benchmark; the producer, brokers, databases and the worker share its cores',
    },
    versions: {
      '@platformatic/kafka': version('@platformatic/kafka'),
      kafkajs: version('kafkajs'),
      pg: version('pg'),
    },
  };
  try {
    const keys = Array.from({ length: seriesCount }, (_, n) => seriesKeyOf(n));
    const ids = Array.from(await stack.out.catalog.resolve(keys, Date.now()));
    const ctx: CaseContext = {
      stack,
      ids,
      partitions,
      timeoutMs,
      progress,
      warn: (t) => process.stderr.write(`bench kafka: ${t}\n`),
    };
    process.stdout.write(
      `bench kafka: run ${stack.run}, ${fmt(seriesCount)} series on ${partitions} partitions, detector ${result.detector}, ` +
        `influx.layout ${result.influxLayout}, ` +
        `checkpoint every ${stack.config.engine.checkpointIntervalMs} ms in the throughput cases\n`,
    );
    // A case that fails (a broker restarted by other work, a bound reached) is reported and
    // the others still run; the command then exits non-zero.
    const attempt = async (name: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        result.failures.push({ case: name, error });
        ctx.warn(`${name} failed: ${error}`);
      }
    };
    const topics: PeerTopic[] = [];
    for (const [name, ppm, n] of [
      ['single', 1, int(o.messages, '--messages')],
      ['batch100', 100, int(o.batchMessages, '--batch-messages')],
    ] as const) {
      if (!cases.has(name)) continue;
      await attempt(name, async () => {
        const c = await throughputCase(ctx, name, ppm, n);
        result.cases.push(c);
        topics.push({ label: name, topic: stack.topic(name), messages: n, points: c.points });
        process.stdout.write(table({ ...result, cases: [c], peers: [] }));
      });
    }
    if (cases.has('peers')) {
      await attempt('peers', async () => {
        if (topics.length === 0) throw new Error('peers need the topic of single or batch100');
        const rounds = Math.max(1, int(o.peerRounds, '--peer-rounds'));
        result.peers.push(...(await peers(listOf(stack.config.kafka.brokers), topics, rounds, timeoutMs)));
      });
    }
    if (cases.has('sustained')) {
      await attempt('sustained', async () => {
        const single = result.cases.find((c): c is ThroughputCase => c.case === 'single');
        const from =
          o.sustainedFrom !== undefined
            ? int(o.sustainedFrom, '--sustained-from')
            : (single?.storedPointsPerSec ?? 20_000);
        const c = await sustainedCase(ctx, {
          from,
          seconds: int(o.seconds, '--seconds'),
          steps: Math.max(1, int(o.sustainedSteps, '--sustained-steps')),
          report: (s, n) => process.stdout.write(`${sustainedRows([s], n).join('\n')}\n`),
        });
        result.cases.push(c);
        process.stdout.write(
          `bench kafka: sustained ${fmt(c.sustainedMessagesPerSec)} messages/s (scored and stored, no growing lag)\n`,
        );
      });
    }
    // The latency and transport runs' rate: --at, else half the sustained rate, else half the
    // single case's messages/s.
    const fixedRate = (): number => {
      if (o.at !== undefined) return int(o.at, '--at');
      const sustained = result.cases.find((c): c is SustainedCase => c.case === 'sustained');
      if (sustained !== undefined && sustained.sustainedMessagesPerSec > 0)
        return Math.round(sustained.sustainedMessagesPerSec / 2);
      const single = result.cases.find((c): c is ThroughputCase => c.case === 'single');
      if (single === undefined) throw new Error('without the sustained or single case, give --at');
      return Math.round(single.messagesPerSec / 2);
    };
    if (cases.has('latency')) {
      const ppm = int(o.latencyPoints, '--latency-points');
      const intervals = listOf(o.checkpointMs).map((s) => int(s, '--checkpoint-ms'));
      const defaultMs = stack.config.engine.checkpointIntervalMs;
      let first = true;
      for (const ms of intervals) {
        const name = ms === defaultMs ? 'latency-default-checkpoint' : first ? 'latency' : `latency-${ms}ms`;
        if (ms !== defaultMs) first = false;
        await attempt(name, async () => {
          const c = await latencyCase(ctx, {
            name,
            checkpointIntervalMs: ms,
            pointsPerMessage: ppm,
            rate: fixedRate(),
            seconds: int(o.seconds, '--seconds'),
            probesPerSec: 50,
          });
          result.cases.push(c);
          process.stdout.write(table({ ...result, cases: [c], peers: [] }));
        });
      }
    }
    if (cases.has('transport')) {
      await attempt('transport', async () => {
        const rate = fixedRate();
        const seconds = int(o.seconds, '--seconds');
        // The first appends and fetches of the new topic are not counted: 2 s, or half a shorter run.
        const c = await transportCase(ctx, { rate, seconds, skipSeconds: Math.min(2, seconds / 2) });
        result.cases.push(c);
        process.stdout.write(table({ ...result, cases: [c], peers: [] }));
      });
    }
  } finally {
    await stack.close(o.keep === true);
  }
  result.machine.loadAverageAfter = loadavg();
  result.goals = goalsOf(result.cases);
  process.stdout.write(`\n${table(result)}`);
  process.stdout.write(
    `load average before ${result.machine.loadAverageBefore.map((x) => x.toFixed(2)).join(' ')}, after ${result.machine.loadAverageAfter.map((x) => x.toFixed(2)).join(' ')}\n`,
  );
  try {
    process.stdout.write(`uptime: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}\n`);
  } catch {
    // no uptime(1): the load averages are in the JSON anyway
  }
  mkdirSync(dirname(o.json), { recursive: true });
  writeFileSync(o.json, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`wrote ${o.json}\n`);
  for (const f of result.failures) process.stderr.write(`bench kafka: ${f.case} failed: ${f.error}\n`);
  for (const c of result.cases)
    if ('transportMessagesPerSec' in c && !c.valid)
      process.stderr.write(
        `bench kafka: transport: ${c.generator.failed} sends failed (first: ${c.generator.firstError})\n`,
      );
  for (const c of result.cases)
    if ('atMessagesPerSec' in c && !c.valid)
      process.stderr.write(
        `bench kafka: ${c.case}: ${c.generator.failed} sends failed (first: ${c.generator.firstError}) — the generator did not produce ${c.atMessagesPerSec} messages/s here, so its latencies are not of that rate\n`,
      );
  if (result.failures.length > 0) process.exitCode = 1;
}
