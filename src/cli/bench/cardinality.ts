/**
 * `vigil bench cardinality`: what a series costs. For each detector a fresh `vigil serve` (its own
 * throwaway data dir and loopback port, engine threads at its default) gets new series at a fixed
 * rate, each with a few points so that it is scored, while its resident set (VmRSS of its pid, which
 * covers the engine threads) is read every 250 ms. Reported: bytes per series as the slope of the
 * resident set over the series accepted, and as (resident set once every point is scored − idle
 * resident set) / series; the time to first score of sampled series (from the acknowledgement of
 * the request that created a series to its first scored point being readable through GET
 * /api/v1/points, polled every 25 ms). Then, with --budget-mib, a server with that
 * `ingest.memoryBudgetBytes` gets new series until it refuses them (422 VIGIL_ERR_SERIES_LIMIT or
 * 503 VIGIL_ERR_MEMORY_PRESSURE) and for a few seconds after, to show the refusal comes before the
 * resident set passes the budget.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { seriesKey } from '../../core/series.ts';
import {
  type BudgetRun,
  budgetLine,
  type CardinalityRun,
  GOAL_BYTES_PER_SERIES,
  lastHalf,
  median,
  perDetector,
  quantiles,
  type RssSample,
  slope,
  summary,
  table,
} from './cardinality-report.ts';
import { type BenchServer, engineCounts, startBenchServer } from './ingest.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface Options {
  detectors: string;
  series: string;
  seriesPerSecond: string;
  points: string;
  budgetMib: string;
  budgetSeries: string;
  budgetSeconds: string;
  engineThreads?: string;
  growthMaxSeries?: string;
  growthBudgetMib?: string;
  json: string;
}

/** The growth servers' ingest limits, where the command line raises (or lowers) them. */
function growthLimits(o: Options): { config?: Record<string, unknown> } {
  const ingest: Record<string, number> = {};
  if (o.growthMaxSeries !== undefined) ingest.maxSeries = positive('--growth-max-series', o.growthMaxSeries);
  if (o.growthBudgetMib !== undefined) {
    ingest.memoryBudgetBytes = positive('--growth-budget-mib', o.growthBudgetMib) * 1048576;
  }
  return Object.keys(ingest).length === 0 ? {} : { config: { ingest } };
}

const METRIC = 'bench_card';
const T0 = Date.UTC(2026, 0, 1);
/** Series per request at most (× points each, under ingest.maxPointsPerRequest). */
const MAX_SERIES_PER_REQUEST = 2000;
const TICK_MS = 100;
/** Series whose time to first score is measured. */
const FIRST_SCORE_SAMPLES = 200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** VmRSS of `pid` in bytes (Linux /proc). */
function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** The body of a request creating series [from, to), `points` each, one a minute from T0. */
function body(from: number, to: number, points: number): string {
  const out: string[] = [];
  for (let s = from; s < to; s++) {
    for (let k = 0; k < points; k++) {
      out.push(
        `{"metric":"${METRIC}","tags":{"s":"${s}"},"ts":${T0 + k * 60_000},"value":${50 + (s % 17) + (k % 3)}}`,
      );
    }
  }
  return `{"points":[${out.join(',')}]}`;
}

interface Growth {
  accepted: number;
  pointsSent: number;
  samples: RssSample[];
  firstScoreMs: number[];
  refused: Record<string, number>;
  firstRefusal: BudgetRun['firstRefusal'];
  seconds: number;
}

/**
 * Offers `total` new series at `rate` per second (one request per 100 ms tick, the next only after
 * the previous answered: a slow server lowers the achieved rate, reported). A 503 for backpressure
 * is retried after a pause. With `stopAfterRefusalMs`, a 422 or a memory 503 does not end the run:
 * new series keep being offered for that long after the first refusal.
 */
async function grow(
  server: BenchServer,
  total: number,
  rate: number,
  points: number,
  stopAfterRefusalMs: number | undefined,
  maxSeconds: number,
): Promise<Growth> {
  const g: Growth = {
    accepted: 0,
    pointsSent: 0,
    samples: [],
    firstScoreMs: [],
    refused: {},
    firstRefusal: null,
    seconds: 0,
  };
  const start = Date.now();
  const sample = () => g.samples.push({ t: Date.now() - start, series: g.accepted, rss: rssOf(server.pid) });
  const timer = setInterval(sample, 250);
  const every = Math.max(1, Math.floor(total / FIRST_SCORE_SAMPLES));
  const pollers: Promise<void>[] = [];
  let offered = 0;
  let lastProgress = 0;
  let refusedAtMs = 0;
  try {
    while (offered < total) {
      const now = Date.now();
      if (now - start > maxSeconds * 1000) break;
      if (g.firstRefusal !== null && now - start - refusedAtMs > stopAfterRefusalMs!) break;
      const due = Math.min(total, Math.floor(((now - start) / 1000) * rate));
      if (due <= offered) {
        await sleep(Math.min(TICK_MS, Math.ceil(((offered + 1) / rate) * 1000 - (now - start))));
        continue;
      }
      const to = Math.min(due, offered + MAX_SERIES_PER_REQUEST);
      const res = await fetch(`${server.url}/api/v1/points`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body(offered, to, points),
      });
      const text = await res.text();
      if (res.status === 204) {
        const acked = Date.now();
        for (let s = offered; s < to; s++) {
          if (s % every === 0)
            pollers.push(firstScore(server.url, s, acked).then((ms) => void g.firstScoreMs.push(ms)));
        }
        g.accepted += to - offered;
        g.pointsSent += (to - offered) * points;
        offered = to;
      } else {
        const code = (JSON.parse(text) as { code?: string }).code ?? `HTTP ${res.status}`;
        g.refused[code] = (g.refused[code] ?? 0) + 1;
        if (code === 'VIGIL_ERR_BACKPRESSURE' || stopAfterRefusalMs === undefined) {
          if (code !== 'VIGIL_ERR_BACKPRESSURE') break;
          await sleep(200);
          continue;
        }
        if (g.firstRefusal === null) {
          g.firstRefusal = { status: res.status, code, atSeries: g.accepted, rssBytes: rssOf(server.pid) };
          refusedAtMs = Date.now() - start;
        }
        // Keep offering the same new series: the server should go on refusing them.
        await sleep(TICK_MS);
      }
      if (Date.now() - lastProgress > 5000) {
        lastProgress = Date.now();
        process.stderr.write(
          `  ${g.accepted} series accepted, RSS ${(rssOf(server.pid) / 1048576).toFixed(0)} MiB, ${((Date.now() - start) / 1000).toFixed(0)} s\n`,
        );
      }
    }
    g.seconds = (Date.now() - start) / 1000;
    await Promise.all(pollers);
  } finally {
    clearInterval(timer);
  }
  sample();
  return g;
}

/** ms from `acked` until series `s` has a scored point readable through GET /api/v1/points. */
async function firstScore(url: string, s: number, acked: number): Promise<number> {
  const key = encodeURIComponent(seriesKey(METRIC, { s: String(s) }));
  const deadline = acked + 300_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/api/v1/points?series=${key}&maxPoints=2`);
    if (res.status === 200 && ((await res.json()) as { total: number }).total > 0) return Date.now() - acked;
    if (res.status !== 200) await res.text();
    await sleep(25);
  }
  throw new Error(`series ${s} was not scored within 300 s of its acknowledgement`);
}

/** Median of a few RSS readings over a second. */
async function settledRss(pid: number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < 5; i++) {
    xs.push(rssOf(pid));
    await sleep(250);
  }
  return median(xs);
}

/** Waits (at most `seconds`) until the engine has scored or rejected `points` points. */
async function waitScored(url: string, points: number, seconds: number): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  let c = await engineCounts([url], undefined);
  while (c.scored + c.rejected < points && Date.now() < deadline) {
    await sleep(200);
    c = await engineCounts([url], undefined);
  }
  return c.scored + c.rejected;
}

async function measure(detector: string, total: number, rate: number, o: Options): Promise<CardinalityRun> {
  const points = Number(o.points);
  const server = await startBenchServer({
    detector,
    auth: 'loopback',
    ...(o.engineThreads === undefined ? {} : { engineThreads: o.engineThreads }),
    ...growthLimits(o),
  });
  try {
    await sleep(2000); // past the start's allocations
    const idle = await settledRss(server.pid);
    process.stderr.write(
      `${detector}: idle RSS ${(idle / 1048576).toFixed(0)} MiB; growing ${total} series at ${rate}/s\n`,
    );
    const g = await grow(server, total, rate, points, undefined, Math.max(60, (4 * total) / rate));
    const scored = await waitScored(server.url, g.pointsSent, 300);
    const end = await settledRss(server.pid);
    const during = g.samples.filter((x) => x.series > 0);
    return {
      name: 'cardinality',
      detector,
      series: g.accepted,
      seriesPerSecond: rate,
      achievedSeriesPerSecond: Math.round(g.accepted / g.seconds),
      pointsPerSeries: points,
      seconds: Math.round(g.seconds * 10) / 10,
      idleRssBytes: idle,
      endRssBytes: end,
      maxRssBytes: Math.max(end, ...g.samples.map((x) => x.rss)),
      bytesPerSeriesSlope: Math.round(
        slope(
          during.map((x) => x.series),
          during.map((x) => x.rss),
        ) ?? Number.NaN,
      ),
      bytesPerSeriesSlopeLastHalf: Math.round(
        slope(
          lastHalf(during, g.accepted).map((x) => x.series),
          lastHalf(during, g.accepted).map((x) => x.rss),
        ) ?? Number.NaN,
      ),
      bytesPerSeriesEnd: g.accepted === 0 ? Number.NaN : Math.round((end - idle) / g.accepted),
      goalBytesPerSeries: GOAL_BYTES_PER_SERIES[detector] ?? null,
      firstScoreMs: quantiles(g.firstScoreMs),
      refused: g.refused,
      pointsSent: g.pointsSent,
      pointsScored: scored,
    };
  } finally {
    await server.stop();
  }
}

async function budgetRun(detector: string, rate: number, o: Options): Promise<BudgetRun> {
  const budgetBytes = Number(o.budgetMib) * 1048576;
  const server = await startBenchServer({
    detector,
    auth: 'loopback',
    ...(o.engineThreads === undefined ? {} : { engineThreads: o.engineThreads }),
    config: { ingest: { memoryBudgetBytes: budgetBytes } },
  });
  try {
    await sleep(2000);
    process.stderr.write(`${detector}: budget ${o.budgetMib} MiB; offering up to ${o.budgetSeries} series\n`);
    const g = await grow(
      server,
      Number(o.budgetSeries),
      rate,
      Number(o.points),
      5000,
      Number(o.budgetSeconds),
    );
    const maxRss = Math.max(...g.samples.map((x) => x.rss), await settledRss(server.pid));
    return {
      name: 'cardinality-budget',
      detector,
      budgetBytes,
      acceptedSeries: g.accepted,
      firstRefusal: g.firstRefusal,
      refused: g.refused,
      maxRssBytes: maxRss,
      refusedBeforeBudget: g.firstRefusal !== null && maxRss < budgetBytes,
      seconds: Math.round(g.seconds * 10) / 10,
    };
  } finally {
    await server.stop();
  }
}

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`${name} must be a number > 0 (got ${JSON.stringify(v)})`);
  return n;
}

export function registerCardinality(bench: Command): void {
  bench
    .command('cardinality')
    .description(
      'resident memory per series and time to first score as series grow, and refusal at the memory budget',
    )
    .option(
      '--detectors <list>',
      'detectors (engine.detector) to measure, one fresh server each',
      'fast,default',
    )
    .option(
      '--series <n>',
      'new series per detector (one number, or one per detector: 100000,20000)',
      '20000',
    )
    .option(
      '--series-per-second <n>',
      'rate at which new series are offered (one number, or one per detector); the budget runs use it too',
      '500',
    )
    .option(
      '--points <n>',
      'points per new series (one a minute), all sent in the request that creates it',
      '4',
    )
    .option(
      '--budget-mib <n>',
      'then start each detector with this ingest.memoryBudgetBytes and offer series until refused (0: skip)',
      '1024',
    )
    .option('--budget-series <n>', 'series offered at most in the budget run', '1000000')
    .option('--budget-seconds <n>', 'the budget run lasts at most this long', '120')
    .option('--engine-threads <n>', "engine.threads of the started servers (default: the server's own)")
    .option(
      '--growth-max-series <n>',
      "ingest.maxSeries of the growth servers (default: the server's own, derived from its memory budget)",
    )
    .option(
      '--growth-budget-mib <n>',
      "ingest.memoryBudgetBytes of the growth servers in MiB (default: the server's own, 60 % of RAM)",
    )
    .option('--json <file>', 'where to write the results', join(ROOT, 'bench/results/cardinality.json'))
    .action(async (o: Options) => {
      for (const [name, v] of [
        ['--points', o.points],
        ['--budget-series', o.budgetSeries],
        ['--budget-seconds', o.budgetSeconds],
      ] as const) {
        positive(name, v);
      }
      growthLimits(o);
      const budgetMib = Number(o.budgetMib);
      if (!Number.isFinite(budgetMib) || budgetMib < 0) {
        throw new Error(`--budget-mib must be a number ≥ 0 (got ${JSON.stringify(o.budgetMib)})`);
      }
      const detectors = o.detectors.split(',').filter((d) => d !== '');
      const n = detectors.length;
      if (n === 0) throw new Error('--detectors must name at least one detector');
      const series = detectors.map((_, i) => perDetector('--series', o.series, n, i));
      const rates = detectors.map((_, i) => perDetector('--series-per-second', o.seriesPerSecond, n, i));
      const runs: CardinalityRun[] = [];
      for (let i = 0; i < n; i++) runs.push(await measure(detectors[i]!, series[i]!, rates[i]!, o));
      const budgets: BudgetRun[] = [];
      if (budgetMib > 0)
        for (let i = 0; i < n; i++) budgets.push(await budgetRun(detectors[i]!, rates[i]!, o));
      process.stdout.write(`${table(runs)}\n`);
      for (const b of budgets) process.stdout.write(`${budgetLine(b)}\n`);
      process.stdout.write(`${summary(runs)}\n`);
      mkdirSync(dirname(o.json), { recursive: true });
      writeFileSync(o.json, `${JSON.stringify([...runs, ...budgets], null, 2)}\n`);
      process.stdout.write(`wrote ${o.json}\n`);
    });
}
