/**
 * `vigil bench alerts`: how long from a point ingested to its notification received, under
 * background load. `vigil serve` starts on a throwaway data dir with a signed-webhook notifier
 * pointing at a loopback receiver run here (each request verified) and one rule selecting only the
 * probe series, one incident per probe. At each background rate (the ingest bench's open-loop load
 * generator on other series), a probe every --interval-ms: a fresh series, warmed up beforehand
 * with steady values under a detector that flags a spike at once (windowed-gaussian, calibration
 * none: no likelihood learning period), then one spike POSTed. Its latency runs from just before
 * that POST to the firing notification's arrival at the receiver, so it covers ingest → log →
 * engine → alerter → outbox → delivery → receiver, not detector warm-up.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { type ReceivedAlert, startReceiver } from './alerts-receiver.ts';
import { type BenchServer, load, type Options, startBenchServer } from './ingest.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The probes' pipeline: a 30-sigma spike over steady values scores ≈ 1 from the 21st point on. */
const PROBE_PIPELINE = {
  detector: { name: 'windowed-gaussian', params: { warmup: 20 } },
  calibration: { name: 'none' },
  threshold: 0.99,
};
const WARMUP_POINTS = 30;
const RULE = 'bench-probe';

interface AlertsOptions {
  rates: string;
  seconds: string;
  intervalMs: string;
  missTimeoutMs: string;
  series: string;
  batch: string;
  connections: string;
  detector: string;
  json: string;
}

export interface AlertsLevel {
  backgroundRate: number;
  /** Background points/s the load generator achieved. */
  achievedRate: number;
  probes: number;
  received: number;
  /** Probes with no firing notification within --miss-timeout-ms. */
  misses: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /**
   * The ingest part: from the spike's POST to its 2xx (the point is in the log), p50 and p99 over
   * all probes; the rest of each latency is log → engine → alerter → outbox → delivery → receiver.
   */
  ackP50Ms: number | null;
  ackP99Ms: number | null;
  /** Most points durable but not yet scored (`vigil_pipeline_lag_points`) seen as a probe was sent. */
  maxLagPoints: number;
  /** Each probe's latency in order sent; null for a miss. */
  latenciesMs: (number | null)[];
  /** The engine's lag (points) read as each probe was sent; null where /metrics did not answer. */
  lagPoints: (number | null)[];
}

/** Points durable but not yet scored, from the server's /metrics; null when unreadable. */
async function pipelineLag(url: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = /^vigil_pipeline_lag_points (\d+)/m.exec(text);
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** Nearest-rank percentile of sorted `xs`; null when empty. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function post(url: string, path: string, body: unknown, method = 'POST'): Promise<void> {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
}

const point = (probe: string, ts: number, value: number) => ({
  metric: 'probe',
  tags: { probe },
  ts,
  value,
});

/** Creates the probe series, gives them the probe pipeline, then feeds each its warm-up points. */
async function prepareProbes(url: string, names: string[]): Promise<void> {
  const base = Date.now() - 120_000;
  await post(url, '/api/v1/points', { points: names.map((n) => point(n, base, 10)) });
  for (const n of names) {
    const series = encodeURIComponent(`probe{probe="${n}"}`);
    await post(url, `/api/v1/series/config?series=${series}`, { pipeline: PROBE_PIPELINE }, 'PUT');
  }
  const warm = names.flatMap((n) =>
    Array.from({ length: WARMUP_POINTS }, (_, i) => point(n, base + (i + 1) * 1000, 10 + (i % 5) * 0.1)),
  );
  await post(url, '/api/v1/points', { points: warm });
}

/** The ingest bench's load options for background load at `rate`. */
function backgroundOptions(o: AlertsOptions, rate: number): Options {
  return {
    seconds: o.seconds,
    json: '',
    series: o.series,
    batch: o.batch,
    connections: o.connections,
    maxConnections: o.connections,
    at: String(rate),
    rates: '',
    detector: o.detector,
    client: 'raw',
    warmupSeconds: '0',
    auth: 'loopback',
  };
}

async function runLevel(
  s: BenchServer,
  rate: number,
  level: number,
  o: AlertsOptions,
  waiting: Map<string, (a: ReceivedAlert) => void>,
): Promise<AlertsLevel> {
  const seconds = Number(o.seconds);
  const interval = Number(o.intervalMs);
  const count = Math.max(1, Math.floor((seconds * 1000) / interval));
  const names = Array.from({ length: count }, (_, i) => `L${level}-${i}`);
  await prepareProbes(s.url, names);
  const background = load(s.url, rate, seconds, backgroundOptions(o, rate), Number(o.connections));
  const latencies: (number | null)[] = Array.from({ length: count }, () => null);
  const acks: number[] = [];
  const lags: (number | null)[] = Array.from({ length: count }, () => null);
  /** One probe: the spike, its notification awaited, then a normal point that ends its anomaly. */
  const probe = async (i: number) => {
    const name = names[i]!;
    const got = new Promise<ReceivedAlert | null>((res) => {
      const timer = setTimeout(() => {
        waiting.delete(name);
        res(null);
      }, Number(o.missTimeoutMs));
      waiting.set(name, (a) => {
        clearTimeout(timer);
        waiting.delete(name);
        res(a);
      });
    });
    const sentAt = Date.now();
    const lag = pipelineLag(s.url);
    await post(s.url, '/api/v1/points', { points: [point(name, sentAt - 2000, 1000)] });
    acks.push(Date.now() - sentAt);
    const a = await got;
    if (a !== null) latencies[i] = a.receivedAt - sentAt;
    lags[i] = await lag;
    await post(s.url, '/api/v1/points', { points: [point(name, sentAt - 1000, 10)] });
  };
  // Open loop: each probe starts when due whatever the earlier ones are doing, so a slow server
  // does not thin the probes out.
  const pending: Promise<void>[] = [];
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const due = started + i * interval;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    pending.push(probe(i));
  }
  await Promise.all(pending);
  const run = await background;
  const got = latencies.filter((x): x is number => x !== null).sort((a, b) => a - b);
  acks.sort((a, b) => a - b);
  return {
    backgroundRate: rate,
    achievedRate: run.pointsPerSec,
    probes: count,
    received: got.length,
    misses: count - got.length,
    p50Ms: percentile(got, 50),
    p99Ms: percentile(got, 99),
    maxMs: percentile(got, 100),
    ackP50Ms: percentile(acks, 50),
    ackP99Ms: percentile(acks, 99),
    maxLagPoints: Math.max(0, ...lags.map((x) => x ?? 0)),
    latenciesMs: latencies,
    lagPoints: lags,
  };
}

function row(l: AlertsLevel): string {
  const ms = (x: number | null) => (x === null ? '-' : x.toFixed(0)).padStart(7);
  return `${String(l.backgroundRate).padStart(10)} ${String(l.achievedRate).padStart(10)} ${String(l.probes).padStart(6)} ${String(l.received).padStart(8)} ${String(l.misses).padStart(6)} ${ms(l.p50Ms)} ${ms(l.p99Ms)} ${ms(l.maxMs)} ${ms(l.ackP50Ms)} ${ms(l.ackP99Ms)} ${String(l.maxLagPoints).padStart(9)}`;
}

export function registerAlerts(bench: Command): void {
  bench
    .command('alerts')
    .description('point ingested → webhook notification received, p50/p99 under background ingest load')
    .option('--rates <list>', 'background rates, one level each (points/s)', '10000,100000')
    .option('--seconds <n>', 'duration of each level', '60')
    .option('--interval-ms <n>', 'one probe spike every this long', '500')
    .option('--miss-timeout-ms <n>', 'a probe not notified within this long is a miss', '10000')
    .option('--series <n>', 'distinct background series', '10000')
    .option('--batch <n>', 'points per background request', '100')
    .option('--connections <n>', 'keep-alive connections of the background load generator', '64')
    .option('--detector <name>', 'detector of the background series (the server default)', 'ewma')
    .option('--json <file>', 'where to write the results', join(ROOT, 'bench/results/alerts.json'))
    .action(async (o: AlertsOptions) => {
      for (const k of ['seconds', 'intervalMs', 'missTimeoutMs'] as const) {
        if (!(Number(o[k]) > 0)) throw new Error(`--${k} must be a number > 0 (got ${JSON.stringify(o[k])})`);
      }
      const rates = o.rates.split(',').map(Number);
      if (rates.some((r) => !(r > 0))) throw new Error(`--rates must list numbers > 0 (got ${o.rates})`);
      const secret = randomBytes(24).toString('hex');
      const waiting = new Map<string, (a: ReceivedAlert) => void>();
      const receiver = await startReceiver(secret, (a) => {
        if (a.status === 'firing' && a.labels.alertname === RULE) waiting.get(a.labels.probe ?? '')?.(a);
      });
      const alerting = {
        notifiers: { bench: { type: 'webhook', url: receiver.url, secret } },
        rules: [
          {
            name: RULE,
            match: 'probe',
            minScore: PROBE_PIPELINE.threshold,
            groupBy: ['probe'],
            resolveTimeoutMs: 1000,
            notifiers: ['bench'],
          },
        ],
      };
      let s: BenchServer | undefined;
      try {
        s = await startBenchServer({ detector: o.detector, auth: 'loopback', config: { alerting } });
        process.stdout.write(
          `bench alerts → ${s.url}: a probe spike every ${o.intervalMs} ms for ${o.seconds} s per level; probe detector windowed-gaussian (calibration none, threshold ${PROBE_PIPELINE.threshold}, ${WARMUP_POINTS} warm-up points before each spike); background ${o.series} series, detector ${o.detector}; webhook to ${receiver.url}, signatures verified\n`,
        );
        // Unmeasured: registers the background series.
        await load(s.url, 10_000, 3, backgroundOptions(o, 10_000), Number(o.connections));
        const levels: AlertsLevel[] = [];
        process.stdout.write(
          `${'background'.padStart(10)} ${'achieved'.padStart(10)} ${'probes'.padStart(6)} ${'received'.padStart(8)} ${'misses'.padStart(6)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)} ${'ack p50'.padStart(7)} ${'ack p99'.padStart(7)} ${'max lag'.padStart(9)}\n`,
        );
        for (const [i, rate] of rates.entries()) {
          const l = await runLevel(s, rate, i + 1, o, waiting);
          process.stdout.write(`${row(l)}\n`);
          levels.push(l);
        }
        process.stdout.write(
          `goal: p99 ≤ 1000 ms embedded; refused webhook requests: ${receiver.refused()}\n`,
        );
        mkdirSync(dirname(o.json), { recursive: true });
        const config = { ...o, json: undefined, probePipeline: PROBE_PIPELINE };
        writeFileSync(
          o.json,
          `${JSON.stringify({ config, levels, refusedWebhooks: receiver.refused() }, null, 2)}\n`,
        );
        process.stdout.write(`wrote ${o.json}\n`);
      } finally {
        await s?.stop();
        await receiver.close();
      }
    });
}
