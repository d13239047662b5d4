/**
 * `vigil bench ingest`: open-loop load of 100-point JSON batches over 10,000 series into a running
 * server (started here on a throwaway data dir unless --url is given). Finds the highest sustained
 * rate with short probes, confirms it for --seconds, then measures latency at --at points/s; the
 * fixed rate runs twice, before and after the search, each after an unmeasured warm-up at it.
 * Each run reports the points accepted per second and the points SCORED per second within it; a
 * rate whose scoring falls behind (more than a second of points unscored at the run's end, a lag
 * that grows with the run) is not sustained, however much was accepted.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { freePort } from '../../adapters/http/free-port.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../..');

export interface IngestRun {
  name: 'ingest';
  case: string;
  atRate: number;
  pointsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxStallMs: number;
  /**
   * p99 of the requests due in each 10 s of the run, in order (where in the run the tail is); null
   * for a window with none completed.
   */
  p99ByWindowMs: (number | null)[];
  ok: number;
  rejected: number;
  failed: number;
  seconds: number;
  /**
   * Points of the run the engine scored, and rejected (duplicate or too late), once it caught up:
   * each run's timestamps follow the previous run's, so all of them should be scored.
   */
  scored: number;
  engineRejected: number;
  /** Points scored (or rejected by the engine) during the run itself, per second of it. */
  scoredPerSec: number;
  /** Accepted points of the run the engine had not scored at its end. */
  lagAtEnd: number;
  /** Whether the run met the sustained criteria (see `sustained`); the last confirm try is kept either way. */
  sustained?: boolean;
  /** Keep-alive connections of the load generator, each carrying one request at a time. */
  connections: number;
  /** The load generator's HTTP client, and the CPU it used (% of one core) during the run. */
  client: 'raw' | 'node';
  generatorCpuPercent: number;
  /** Whether every request carried an API key (auth.mode keys; see --auth, --key). */
  withKey: boolean;
}

export interface Options {
  seconds: string;
  json: string;
  url?: string;
  series: string;
  batch: string;
  connections: string;
  maxConnections: string;
  at: string;
  rates: string;
  detector: string;
  calibration?: string;
  client: string;
  warmupSeconds: string;
  auth: string;
  key?: string;
  /** `engine.threads` of the started server; unset: its default. */
  engineThreads?: string;
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${url} did not become ready`);
}

/** Points scored and rejected by the engine so far (summed over the /metrics of `urls`). */
export async function engineCounts(
  urls: readonly string[],
  key: string | undefined,
): Promise<{ scored: number; rejected: number }> {
  const headers: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
  let scored = 0;
  let rejected = 0;
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`, { headers })).text();
    scored += Number(/^vigil_points_scored_total (\d+)/m.exec(text)?.[1] ?? 0);
    for (const m of text.matchAll(/^vigil_points_rejected_total\{[^}]*\} (\d+)/gm)) rejected += Number(m[1]);
  }
  return { scored, rejected };
}

/** Event time of the next run's first points: each run starts after the previous one's. */
let nextT0 = Date.UTC(2026, 0, 1);

/**
 * Sends `rate` points/s to `url` for `seconds`, then waits for the engine to catch up; the engine's
 * counts are read from `countUrls` (the server itself, or a deployment's scoring processes).
 */
export async function load(
  url: string,
  rate: number,
  seconds: number,
  o: Options,
  connections: number,
  countUrls: readonly string[] = [url],
): Promise<IngestRun> {
  const t0 = nextT0;
  nextT0 += (Math.ceil((rate * seconds) / Number(o.series)) + 2) * 1000;
  const before = await engineCounts(countUrls, o.key);
  const run = await generate(url, rate, seconds, o, t0, connections);
  const sent = run.ok * Number(o.batch);
  const atEnd = await engineCounts(countUrls, o.key);
  const scoredInRun = atEnd.scored + atEnd.rejected - before.scored - before.rejected;
  // Let the engine catch up (at most 60 s), so the next run starts with an empty queue.
  let after = atEnd;
  for (let i = 0; i < 600 && after.scored + after.rejected - before.scored - before.rejected < sent; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = await engineCounts(countUrls, o.key);
  }
  return {
    ...run,
    connections,
    scored: after.scored - before.scored,
    engineRejected: after.rejected - before.rejected,
    scoredPerSec: Math.round(scoredInRun / seconds),
    lagAtEnd: Math.max(0, sent - scoredInRun),
  };
}

function generate(
  url: string,
  rate: number,
  seconds: number,
  o: Options,
  t0: number,
  connections: number,
): Promise<IngestRun> {
  return new Promise((res, rej) => {
    const child = spawn(
      process.execPath,
      [
        join(HERE, 'ingest-loadgen.ts'),
        url,
        String(rate),
        String(seconds),
        o.series,
        o.batch,
        String(connections),
        o.client,
        String(t0),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, VIGIL_BENCH_KEY: o.key ?? '' },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => {
      if (code !== 0) return rej(new Error(`load generator exited ${code}`));
      const r = JSON.parse(out.trim().split('\n').pop()!) as Omit<
        IngestRun,
        | 'name'
        | 'case'
        | 'seconds'
        | 'scored'
        | 'engineRejected'
        | 'connections'
        | 'scoredPerSec'
        | 'lagAtEnd'
      >;
      res({
        name: 'ingest',
        case: '',
        seconds,
        connections,
        scored: 0,
        engineRejected: 0,
        scoredPerSec: 0,
        lagAtEnd: 0,
        ...r,
        withKey: o.key !== undefined,
      });
    });
  });
}

/**
 * A rate is sustained when (almost) all of it was accepted, latency stayed bounded, and the engine
 * kept up: at the run's end at most one second of points was left to score.
 */
function sustained(r: IngestRun): boolean {
  return (
    r.failed === 0 &&
    r.rejected === 0 &&
    r.pointsPerSec >= 0.95 * r.atRate &&
    r.p99Ms < 500 &&
    r.lagAtEnd <= r.atRate
  );
}

export function line(r: IngestRun): string {
  const f = (x: number) => x.toFixed(1).padStart(8);
  return `${r.case.padEnd(22)} rate ${String(r.atRate).padStart(8)}/s  got ${String(r.pointsPerSec).padStart(8)}/s  scored ${String(r.scoredPerSec).padStart(8)}/s (lag at end ${r.lagAtEnd})  p50 ${f(r.p50Ms)}  p99 ${f(r.p99Ms)}  p99.9 ${f(r.p999Ms)}  max stall ${f(r.maxStallMs)} ms  rejected ${r.rejected} failed ${r.failed}  scored ${r.scored} (engine rejected ${r.engineRejected})  generator CPU ${r.generatorCpuPercent} %  connections ${r.connections}  p99 by 10 s ${r.p99ByWindowMs.map((x) => (x === null ? '-' : x.toFixed(1))).join(' ')}`;
}

/** A key with scopes ingest and read in `dataDir`'s keys.db, through `vigil keys create`. */
function createBenchKey(dataDir: string): string {
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'bin/vigil.mjs'),
      'keys',
      'create',
      '--data-dir',
      dataDir,
      '--scopes',
      'ingest,read',
      '--name',
      'bench',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`vigil keys create failed: ${r.stderr}`);
  return r.stdout.trim();
}

export function registerIngest(bench: Command): void {
  bench
    .command('ingest')
    .description('open-loop HTTP ingest benchmark: max sustained rate, then latency at a fixed rate')
    .option('--seconds <n>', 'duration of the confirming and the fixed-rate runs', '60')
    .option('--json <file>', 'where to write the results', join(ROOT, 'bench/results/ingest.json'))
    .option('--url <url>', 'benchmark a running server instead of starting one')
    .option('--series <n>', 'distinct series', '10000')
    .option('--batch <n>', 'points per request', '100')
    .option('--connections <n>', 'keep-alive connections of the fixed-rate (latency) run', '64')
    .option(
      '--max-connections <n>',
      'keep-alive connections of the search for the maximum rate (each carries one request at a time, so 64 cap 500,000 points/s at 12.8 ms per request)',
      '256',
    )
    .option('--at <rate>', 'fixed rate for the latency run (points/s)', '250000')
    .option(
      '--warmup-seconds <n>',
      'unmeasured run at the fixed rate before each fixed-rate run (the first after 3 s at 50,000 points/s that register the series)',
      '10',
    )
    .option(
      '--client <kind>',
      "load generator's HTTP client: raw (keep-alive sockets, cheapest) or node (node:http)",
      'raw',
    )
    .option(
      '--detector <name>',
      'detector of the started server (the ingest path is what is measured)',
      'ewma',
    )
    .option(
      '--calibration <name>',
      "the started server's calibration stage (e.g. none: the detector's raw score, as before pipelines); default: the detector's own default pipeline",
    )
    .option(
      '--auth <mode>',
      'auth.mode of the started server: loopback, or keys (a key with scopes ingest,read is created in its data dir and sent with every request), to compare ingest with and without a key',
      'loopback',
    )
    .option('--key <key>', 'API key to send to a --url server in auth.mode keys (scopes ingest and read)')
    .option('--engine-threads <n>', "engine.threads of the started server (default: the server's own)")
    .option(
      '--rates <list>',
      'probe rates for the max search (points/s)',
      '200000,300000,400000,500000,600000,700000,800000',
    )
    .action(async (o: Options) => {
      if (o.client !== 'raw' && o.client !== 'node') {
        throw new Error(`--client must be raw or node (got ${JSON.stringify(o.client)})`);
      }
      if (o.auth !== 'loopback' && o.auth !== 'keys') {
        throw new Error(`--auth must be loopback or keys (got ${JSON.stringify(o.auth)})`);
      }
      const started = o.url === undefined ? await startBenchServer(o) : undefined;
      if (started?.key !== undefined) o.key = started.key;
      const url = started?.url ?? o.url!;
      try {
        const seconds = Number(o.seconds);
        process.stdout.write(
          `bench ingest → ${url} (${o.engineThreads === undefined ? '' : `engine.threads ${o.engineThreads}, `}${o.series} series, ${o.batch}-point JSON batches, open loop, detector ${o.url === undefined ? `${o.detector}${o.calibration === undefined ? '' : ` (calibration ${o.calibration})`}` : 'of that server'}, ${o.key === undefined ? 'no API key' : 'every request with an API key'})\n`,
        );
        const latencyConns = Number(o.connections);
        const maxConns = Number(o.maxConnections);
        const warmupSeconds = Number(o.warmupSeconds);
        if (!Number.isFinite(warmupSeconds) || warmupSeconds < 0) {
          throw new Error(`--warmup-seconds must be a number ≥ 0 (got ${JSON.stringify(o.warmupSeconds)})`);
        }
        // Unmeasured, before each fixed-rate run: --warmup-seconds at that rate, so the run sees
        // the server in its steady state at it — past its start (JIT tiers, heap sizes, the first
        // checkpoints, which write every series' state new), or past the overload of the search
        // (the old generation it promoted, its I/O). Printed, not kept.
        const serverUrl = url;
        const warmUp = async () => {
          if (warmupSeconds === 0) return;
          const warm = await load(serverUrl, Number(o.at), warmupSeconds, o, latencyConns);
          warm.case = 'warm-up (not kept)';
          process.stdout.write(`${line(warm)}\n`);
        };
        await load(url, 50_000, 3, o, latencyConns); // registers the series
        await warmUp();
        const results: IngestRun[] = [];
        // The fixed rate twice: on the young store first, and again after the search, whose long
        // runs leave a store of tens of millions of points (latency grows with it).
        const young = await load(url, Number(o.at), seconds, o, latencyConns);
        young.case = `at-${o.at}-young-store`;
        process.stdout.write(`${line(young)}\n`);
        results.push(young);
        let best: IngestRun | undefined;
        for (const rate of o.rates.split(',').map(Number)) {
          const r = await load(url, rate, Math.min(10, seconds), o, maxConns);
          r.case = 'probe';
          process.stdout.write(`${line(r)}\n`);
          if (!sustained(r)) break;
          best = r;
        }
        // A short probe can pass where a long run falls behind: confirm for --seconds, stepping
        // down by 10 % until a rate holds (at most four tries).
        let rate = best?.atRate;
        for (let tries = 0; rate !== undefined && tries < 4; tries++) {
          const confirm = await load(url, rate, seconds, o, maxConns);
          confirm.case = 'max-sustained';
          const ok = sustained(confirm);
          confirm.sustained = ok;
          process.stdout.write(`${line(confirm)}${ok ? '' : '  (not sustained)'}\n`);
          if (ok || tries === 3) {
            results.push(confirm);
            break;
          }
          rate = Math.round((rate * 0.9) / 1000) * 1000;
        }
        await warmUp();
        const fixed = await load(url, Number(o.at), seconds, o, latencyConns);
        fixed.case = `at-${o.at}`;
        process.stdout.write(`${line(fixed)}\n`);
        results.push(fixed);
        mkdirSync(dirname(o.json), { recursive: true });
        writeFileSync(o.json, `${JSON.stringify(results, null, 2)}\n`);
        process.stdout.write(`wrote ${o.json}\n`);
      } finally {
        await started?.stop();
      }
    });
}

/** A `vigil serve` started by a bench on a throwaway data dir. */
export interface BenchServer {
  url: string;
  pid: number;
  /** With auth `keys`: a key with scopes ingest and read. */
  key?: string;
  /** Stops the server and deletes its data dir. */
  stop(): Promise<void>;
}

/**
 * Starts `vigil serve` with the bench's detector, calibration and auth mode on a throwaway data dir;
 * `config` adds top-level sections (e.g. `alerting`) to its config file.
 */
export async function startBenchServer(o: {
  detector: string;
  calibration?: string;
  auth: string;
  engineThreads?: string;
  config?: Record<string, unknown>;
}): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const key = o.auth === 'keys' ? createBenchKey(dataDir) : undefined;
  const port = await freePort();
  const pipelineConfig: string[] = [];
  if (o.calibration !== undefined || o.config !== undefined) {
    const file = join(dataDir, 'bench-config.json');
    const engine =
      o.calibration === undefined
        ? {}
        : {
            engine: {
              pipeline: { detector: { name: o.detector }, calibration: { name: o.calibration } },
            },
          };
    writeFileSync(file, JSON.stringify({ ...o.config, ...engine }));
    pipelineConfig.push('--config', file);
  }
  const server: ChildProcess = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/vigil.mjs'),
      'serve',
      ...pipelineConfig,
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        VIGIL_LOG_LEVEL: 'warn',
        ...(o.calibration === undefined ? { VIGIL_DETECTOR: o.detector } : {}),
        VIGIL_AUTH_MODE: o.auth,
        ...(o.engineThreads !== undefined ? { VIGIL_ENGINE_THREADS: o.engineThreads } : {}),
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitReady(url);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, pid: server.pid!, ...(key !== undefined ? { key } : {}), stop };
}
