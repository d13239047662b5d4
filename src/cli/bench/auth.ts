/**
 * `vigil bench auth`: what an API key costs ingest, measured in one run. Two servers start side by
 * side, one in auth.mode loopback (no key) and one in auth.mode keys (every request carries a
 * key), with the same detector; rounds alternate between them at one fixed rate, so drift of a
 * shared, noisy machine hits both alike. The figure that decides is the CPU time of each server's
 * main thread (where requests are parsed, authenticated and logged; /proc/<pid>/task/<pid>/stat)
 * per point: the highest rate a server sustains is bounded by it, so the extra CPU per point with
 * a key is the throughput a key costs. Achieved rates and latency are printed beside it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { type BenchServer, type IngestRun, line, load, type Options, startBenchServer } from './ingest.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** CPU seconds (user + system) of `pid`'s main thread, and of the whole process. */
function cpuSeconds(pid: number): { main: number; process: number } {
  const ticks = (file: string) => {
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    const rest = readFileSync(file, 'utf8').split(') ').pop()!.split(' ');
    return Number(rest[11]) + Number(rest[12]);
  };
  return {
    main: ticks(`/proc/${pid}/task/${pid}/stat`) / TICKS,
    process: ticks(`/proc/${pid}/stat`) / TICKS,
  };
}

interface Round {
  withKey: boolean;
  round: number;
  pointsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Main-thread CPU microseconds per point accepted. */
  mainCpuUsPerPoint: number;
  processCpuUsPerPoint: number;
  failed: number;
  rejected: number;
}

interface AuthOptions {
  seconds: string;
  rounds: string;
  at: string;
  series: string;
  batch: string;
  connections: string;
  detector: string;
  calibration?: string;
  json: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function measure(s: BenchServer, o: AuthOptions, round: number): Promise<{ run: IngestRun; r: Round }> {
  const opts: Options = {
    seconds: o.seconds,
    json: '',
    series: o.series,
    batch: o.batch,
    connections: o.connections,
    maxConnections: o.connections,
    at: o.at,
    rates: '',
    detector: o.detector,
    client: 'raw',
    warmupSeconds: '0',
    auth: s.key === undefined ? 'loopback' : 'keys',
    ...(s.key !== undefined ? { key: s.key } : {}),
  };
  const before = cpuSeconds(s.pid);
  const run = await load(s.url, Number(o.at), Number(o.seconds), opts, Number(o.connections));
  const after = cpuSeconds(s.pid);
  const points = Math.max(1, run.ok * Number(o.batch));
  return {
    run,
    r: {
      withKey: s.key !== undefined,
      round,
      pointsPerSec: run.pointsPerSec,
      p50Ms: run.p50Ms,
      p99Ms: run.p99Ms,
      mainCpuUsPerPoint: ((after.main - before.main) * 1e6) / points,
      processCpuUsPerPoint: ((after.process - before.process) * 1e6) / points,
      failed: run.failed,
      rejected: run.rejected,
    },
  };
}

export function registerAuth(bench: Command): void {
  bench
    .command('auth')
    .description('ingest with an API key against without, alternating rounds on two servers in one run')
    .option('--seconds <n>', 'duration of each round', '20')
    .option('--rounds <n>', 'rounds per server (alternating)', '4')
    .option('--at <rate>', 'fixed rate of every round (points/s)', '100000')
    .option('--series <n>', 'distinct series', '10000')
    .option('--batch <n>', 'points per request', '100')
    .option('--connections <n>', 'keep-alive connections of the load generator', '64')
    .option('--detector <name>', 'detector of both servers', 'ewma')
    .option(
      '--calibration <name>',
      "both servers' calibration stage (e.g. none); default: the detector's own",
    )
    .option('--json <file>', 'where to write the results', join(ROOT, 'bench/results/auth.json'))
    .action(async (o: AuthOptions) => {
      const plain = await startBenchServer({ ...o, auth: 'loopback' });
      let keyed: BenchServer | undefined;
      try {
        keyed = await startBenchServer({ ...o, auth: 'keys' });
        process.stdout.write(
          `bench auth: ${o.rounds} alternating rounds of ${o.seconds} s at ${o.at} points/s (${o.series} series, ${o.batch}-point JSON batches, detector ${o.detector}${o.calibration === undefined ? '' : `, calibration ${o.calibration}`}), no key on ${plain.url}, a key on every request to ${keyed.url}\n`,
        );
        // Unmeasured: registers the series and warms both servers up.
        for (const s of [plain, keyed]) await measure(s, { ...o, at: '50000', seconds: '5' }, 0);
        const rounds: Round[] = [];
        for (let i = 1; i <= Number(o.rounds); i++) {
          // Alternate which server goes first, so neither always runs after the other's load.
          for (const s of i % 2 === 1 ? [plain, keyed] : [keyed, plain]) {
            const { run, r } = await measure(s, o, i);
            run.case = `round ${i} ${r.withKey ? 'with key' : 'no key'}`;
            process.stdout.write(
              `${line(run)}  main-thread CPU ${r.mainCpuUsPerPoint.toFixed(3)} µs/point  process ${r.processCpuUsPerPoint.toFixed(3)} µs/point\n`,
            );
            rounds.push(r);
          }
        }
        const of = (withKey: boolean) => rounds.filter((r) => r.withKey === withKey);
        const summary = (withKey: boolean) => ({
          mainCpuUsPerPoint: median(of(withKey).map((r) => r.mainCpuUsPerPoint)),
          processCpuUsPerPoint: median(of(withKey).map((r) => r.processCpuUsPerPoint)),
          pointsPerSec: median(of(withKey).map((r) => r.pointsPerSec)),
          p99Ms: median(of(withKey).map((r) => r.p99Ms)),
        });
        const without = summary(false);
        const withKey = summary(true);
        // The sustainable rate is inversely proportional to main-thread CPU per point.
        const throughputLossPercent = (1 - without.mainCpuUsPerPoint / withKey.mainCpuUsPerPoint) * 100;
        process.stdout.write(
          `median main-thread CPU per point: no key ${without.mainCpuUsPerPoint.toFixed(3)} µs, with key ${withKey.mainCpuUsPerPoint.toFixed(3)} µs → throughput cost of a key ${throughputLossPercent.toFixed(1)} % (goal ≤ 5 %)\n` +
            `median process CPU per point: no key ${without.processCpuUsPerPoint.toFixed(3)} µs, with key ${withKey.processCpuUsPerPoint.toFixed(3)} µs; median p99: ${without.p99Ms.toFixed(1)} ms / ${withKey.p99Ms.toFixed(1)} ms\n`,
        );
        mkdirSync(dirname(o.json), { recursive: true });
        writeFileSync(
          o.json,
          `${JSON.stringify({ config: { ...o, json: undefined }, without, withKey, throughputLossPercent, rounds }, null, 2)}\n`,
        );
        process.stdout.write(`wrote ${o.json}\n`);
      } finally {
        await keyed?.stop();
        await plain.stop();
      }
    });
}
