/**
 * `vigil bench alerts`: how long from a point ingested to its notification received, under
 * background load. Embedded, `vigil serve` starts on a throwaway data dir; with --cluster, the
 * scaled-out deployment of `npm run cluster` starts (alerts-cluster.ts). Either way with a
 * signed-webhook notifier pointing at a loopback receiver run here (each request verified) and one
 * rule selecting only the probe series, one incident per probe. At each background rate (the
 * ingest bench's open-loop load generator on other series), a probe every --interval-ms: a fresh
 * series, warmed up beforehand with steady values under a detector that flags a spike at once
 * (windowed-gaussian, calibration none: no likelihood learning period), then one spike POSTed. Its
 * latency runs from just before that POST to the firing notification's arrival at the receiver, so
 * it covers ingest → log → engine → alerter → outbox → delivery → receiver, not detector warm-up.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { AlertsTarget } from './alerts-cluster.ts';
import {
  type AlertsOptions,
  type AlertsSettings,
  goalLine,
  header,
  type LevelFigures,
  parseAlertsOptions,
  percentile,
  row,
} from './alerts-options.ts';
import { type ReceivedAlert, startReceiver } from './alerts-receiver.ts';
import { load, type Options, startBenchServer } from './ingest.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The probes' pipeline: a 30-sigma spike over steady values scores ≈ 1 from the 21st point on. */
const PROBE_PIPELINE = {
  detector: { name: 'windowed-gaussian', params: { warmup: 20 } },
  calibration: { name: 'none' },
  threshold: 0.99,
};
const WARMUP_POINTS = 30;
const RULE = 'bench-probe';

export interface AlertsLevel extends LevelFigures {
  /** Each probe's latency in order sent; null for a miss. */
  latenciesMs: (number | null)[];
  /**
   * The engine's lag (points durable but not yet scored, `vigil_pipeline_lag_points`; scaled out
   * the sum over the detectors) read as each probe was sent; null where /metrics did not answer.
   */
  lagPoints: (number | null)[];
  /**
   * The background load's requests: answered 2xx, refused (4xx/5xx) and failed (no answer), and
   * their p99 latency; where the deployment falls behind, `achievedRate` falls short of the rate.
   */
  backgroundRequests: { ok: number; rejected: number; failed: number; p99Ms: number };
}

/** Points durable but not yet scored, summed over the /metrics of `urls`; null when one is unreadable. */
async function pipelineLag(urls: readonly string[]): Promise<number | null> {
  let lag = 0;
  for (const url of urls) {
    try {
      const text = await (await fetch(`${url}/metrics`)).text();
      const m = /^vigil_pipeline_lag_points (\d+)/m.exec(text);
      if (m === null) return null;
      lag += Number(m[1]);
    } catch {
      return null;
    }
  }
  return lag;
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

/**
 * Creates the probe series and gives them the probe pipeline; once it has reached the scoring
 * processes (`settleMs`), feeds each its warm-up points.
 */
async function prepareProbes(url: string, names: string[], settleMs: number): Promise<void> {
  const base = Date.now() - 120_000;
  await post(url, '/api/v1/points', { points: names.map((n) => point(n, base, 10)) });
  for (const n of names) {
    const series = encodeURIComponent(`probe{probe="${n}"}`);
    await post(url, `/api/v1/series/config?series=${series}`, { pipeline: PROBE_PIPELINE }, 'PUT');
  }
  if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
  const warm = names.flatMap((n) =>
    Array.from({ length: WARMUP_POINTS }, (_, i) => point(n, base + (i + 1) * 1000, 10 + (i % 5) * 0.1)),
  );
  await post(url, '/api/v1/points', { points: warm });
}

/** The ingest bench's load options for background load at `rate`. */
function backgroundOptions(o: AlertsSettings, rate: number): Options {
  return {
    seconds: String(o.seconds),
    json: '',
    series: String(o.series),
    batch: String(o.batch),
    connections: String(o.connections),
    maxConnections: String(o.connections),
    at: String(rate),
    rates: '',
    detector: o.detector,
    client: 'raw',
    warmupSeconds: '0',
    auth: 'loopback',
  };
}

async function runLevel(
  t: AlertsTarget,
  rate: number,
  level: number,
  o: AlertsSettings,
  waiting: Map<string, (a: ReceivedAlert) => void>,
): Promise<AlertsLevel> {
  const count = Math.max(1, Math.floor((o.seconds * 1000) / o.intervalMs));
  const names = Array.from({ length: count }, (_, i) => `L${level}-${i}`);
  await prepareProbes(t.url, names, t.configSettleMs);
  const background = load(t.url, rate, o.seconds, backgroundOptions(o, rate), o.connections, t.countUrls);
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
      }, o.missTimeoutMs);
      waiting.set(name, (a) => {
        clearTimeout(timer);
        waiting.delete(name);
        res(a);
      });
    });
    const sentAt = Date.now();
    const lag = pipelineLag(t.lagUrls);
    await post(t.url, '/api/v1/points', { points: [point(name, sentAt - 2000, 1000)] });
    acks.push(Date.now() - sentAt);
    const a = await got;
    if (a !== null) latencies[i] = a.receivedAt - sentAt;
    lags[i] = await lag;
    await post(t.url, '/api/v1/points', { points: [point(name, sentAt - 1000, 10)] });
  };
  // Open loop: each probe starts when due whatever the earlier ones are doing, so a slow server
  // does not thin the probes out.
  const pending: Promise<void>[] = [];
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const due = started + i * o.intervalMs;
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
    backgroundRequests: { ok: run.ok, rejected: run.rejected, failed: run.failed, p99Ms: run.p99Ms },
  };
}

/** `vigil serve` on a throwaway data dir, as a bench target. */
async function startEmbedded(o: AlertsSettings, alerting: Record<string, unknown>): Promise<AlertsTarget> {
  const s = await startBenchServer({ detector: o.detector, auth: 'loopback', config: { alerting } });
  return {
    url: s.url,
    countUrls: [s.url],
    lagUrls: [s.url],
    configSettleMs: 0,
    describe: s.url,
    stop: s.stop,
  };
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
    .option('--connections <n>', 'keep-alive connections of the load generator', '64')
    .option('--detector <name>', 'detector of the background series (the server default)', 'ewma')
    .option(
      '--cluster',
      'measure the scaled-out deployment: start it as `npm run cluster` does (its own named deployment on the local services), stop it afterwards',
    )
    .option(
      '--json <file>',
      'where to write the results (default bench/results/alerts.json, alerts-cluster.json with --cluster)',
    )
    .action(async (raw: AlertsOptions) => {
      const o = parseAlertsOptions(raw, ROOT);
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
      let t: AlertsTarget | undefined;
      try {
        t =
          o.mode === 'cluster'
            ? // Loaded only with --cluster: it brings the Kafka and PostgreSQL clients (cli-module-footprint).
              await (await import('./alerts-cluster.ts')).startBenchCluster({
                root: ROOT,
                detector: o.detector,
                config: { alerting },
              })
            : await startEmbedded(o, alerting);
        process.stdout.write(
          `bench alerts (${o.mode}) → ${t.describe}: a probe spike every ${o.intervalMs} ms for ${o.seconds} s per level; probe detector windowed-gaussian (calibration none, threshold ${PROBE_PIPELINE.threshold}, ${WARMUP_POINTS} warm-up points before each spike); background ${o.series} series, detector ${o.detector}; webhook to ${receiver.url}, signatures verified\n`,
        );
        // Unmeasured: registers the background series.
        await load(t.url, 10_000, 3, backgroundOptions(o, 10_000), o.connections, t.countUrls);
        const levels: AlertsLevel[] = [];
        process.stdout.write(`${header()}\n`);
        for (const [i, rate] of o.rates.entries()) {
          const l = await runLevel(t, rate, i + 1, o, waiting);
          process.stdout.write(`${row(l)}\n`);
          levels.push(l);
        }
        process.stdout.write(`${goalLine(o.mode, levels, receiver.refused())}\n`);
        mkdirSync(dirname(o.json), { recursive: true });
        const config = { ...raw, json: undefined, mode: o.mode, probePipeline: PROBE_PIPELINE };
        writeFileSync(
          o.json,
          `${JSON.stringify({ config, levels, refusedWebhooks: receiver.refused() }, null, 2)}\n`,
        );
        process.stdout.write(`wrote ${o.json}\n`);
      } finally {
        await t?.stop();
        await receiver.close();
      }
    });
}
