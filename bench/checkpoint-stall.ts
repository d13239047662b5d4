/**
 * Main-thread cost of one checkpoint of the embedded store:
 * `npx node bench/checkpoint-stall.ts [--series 10000] [--points 25,125] [--reps 7] [--writer inline,worker]`.
 * Prints a table and writes `bench/results/checkpoint.json`; never gates on time.
 *
 * Each repetition scores `--points` points of every series with the EWMA detector (outside the
 * measurement), then does what the engine's Checkpointer does at a checkpoint:
 * `Engine.takeDirtyStates()` (state serialisation) and `SqliteStoreDb.commit` (chunks, anomalies, states and offset in one
 * transaction, WAL checkpoint included). Measured on the main thread:
 * - serialise: wall and thread CPU time of `takeDirtyStates()`, one synchronous call;
 * - commit: thread CPU time from the call until it resolves (work on the store's worker thread is
 *   not counted: that is the point of it), its wall time (until durable), and its longest
 *   synchronous stretch two ways: the max of `monitorEventLoopDelay` at 1 ms resolution (wall
 *   time, so it also counts the OS running other work on a busy machine), and the most thread CPU
 *   spent between two ticks of a 1 ms timer (this thread's own work and GC only).
 * The runtime calls both in the same turn, so the longest stall it sees is serialise plus the
 * commit's first slice. One unrecorded repetition warms the JIT and grows the WAL first. `inline`
 * is the store as it was before the writer thread (same SQL, on the main connection).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep, setImmediate as yieldTurn } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/adapters/sqlite/database.ts';
import { SqliteStoreDb } from '../src/adapters/sqlite/store-db.ts';
import type { Anomaly } from '../src/core/anomaly.ts';
import { builtinDetectors } from '../src/core/detectors/index.ts';
import { pipelinesOf } from '../src/core/pipeline/pipelines.ts';
import { PointColumns } from '../src/core/point-columns.ts';
import { Engine, type EngineOutput } from '../src/engine/engine.ts';

const { values: args } = parseArgs({
  options: {
    series: { type: 'string', default: '10000' },
    points: { type: 'string', default: '25,125' },
    reps: { type: 'string', default: '7' },
    writer: { type: 'string', default: 'inline,worker' },
    json: { type: 'string', default: join(import.meta.dirname, 'results/checkpoint.json') },
  },
});
const SERIES = Number(args.series);
const POINT_COUNTS = args.points.split(',').map(Number);
const REPS = Number(args.reps);
const T0 = 1_700_000_000_000;

interface Sample {
  serialiseMs: number;
  serialiseCpuMs: number;
  commitCpuMs: number;
  commitWallMs: number;
  commitLongestMs: number;
  commitLongestCpuMs: number;
}

const cpuMs = () => {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
};

/** Most thread CPU time between two ticks of a 1 ms timer while it runs. */
function cpuStretches(): { stop(): number } {
  let last = cpuMs();
  let max = 0;
  const tick = () => {
    const now = cpuMs();
    max = Math.max(max, now - last);
    last = now;
  };
  const timer = setInterval(tick, 1);
  return {
    stop() {
      tick();
      clearInterval(timer);
      return max;
    },
  };
}

async function run(
  writer: 'inline' | 'worker',
  points: number,
): Promise<{ samples: Sample[]; stateBytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-checkpoint-'));
  const path = join(dir, 'store.db');
  const store = new SqliteStoreDb(
    openDatabase(path, 'normal'),
    writer === 'worker' ? { kind: 'worker', path, synchronous: 'normal' } : { kind: 'inline' },
  );
  const registry = builtinDetectors();
  const engine = new Engine({
    registry,
    defaults: {
      pipeline: pipelinesOf(registry).resolve({
        detector: { name: 'ewma' },
        calibration: { name: 'none' },
        threshold: 0.99,
      }),
    },
    allowedLatenessMs: 0,
  });
  let tails = new Map<number, PointColumns>();
  let anomalies = new Map<string, Anomaly>();
  const out: EngineOutput = {
    point: (sid, p) => {
      let tail = tails.get(sid);
      if (tail === undefined) {
        tail = new PointColumns();
        tails.set(sid, tail);
      }
      tail.push(p);
    },
    anomaly: (a) => anomalies.set(`${a.seriesId}:${a.start}`, a),
    rejected: () => {},
  };
  let seed = 1;
  const noise = () => {
    seed = (seed * 1_103_515_245 + 12_345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  const eld = monitorEventLoopDelay({ resolution: 1 });
  const samples: Sample[] = [];
  let stateBytes = 0;
  let t = 0;
  try {
    for (let rep = 0; rep <= REPS; rep++) {
      for (let p = 0; p < points; p++, t++) {
        for (let sid = 1; sid <= SERIES; sid++) {
          // A rare spike per series keeps a few anomalies in every checkpoint.
          const spike = (t + sid) % 997 === 0 ? 50 : 0;
          engine.process(sid, T0 + t * 10_000, 100 + sid + noise() + spike, out);
        }
      }
      await yieldTurn();
      const c0 = cpuMs();
      const w0 = performance.now();
      const states = engine.takeDirtyStates();
      const serialiseMs = performance.now() - w0;
      const serialiseCpuMs = cpuMs() - c0;
      const scored = tails;
      const changed = [...anomalies.values()];
      tails = new Map();
      anomalies = new Map();
      // Split the two on purpose, so the commit's longest stretch is its own.
      eld.reset();
      eld.enable();
      // Its first tick only starts the histogram's clock: a stall before it would go unseen.
      await sleep(3);
      const stretches = cpuStretches();
      const c1 = cpuMs();
      const w1 = performance.now();
      await store.commit({ offset: rep + 1, points: scored, anomalies: changed, states });
      const commitWallMs = performance.now() - w1;
      const commitCpuMs = cpuMs() - c1;
      const commitLongestCpuMs = stretches.stop();
      // The histogram records a stall when its timer fires next: let it, before reading it.
      await sleep(5);
      eld.disable();
      if (rep === 0) continue;
      stateBytes = 0;
      for (const s of states.values()) stateBytes += s.length;
      samples.push({
        serialiseMs,
        serialiseCpuMs,
        commitCpuMs,
        commitWallMs,
        commitLongestMs: eld.max / 1e6,
        commitLongestCpuMs,
      });
    }
    // Sanity: what was committed reads back.
    const back = await store.range(1, T0, T0 + t * 10_000);
    if (back.length !== points * (REPS + 1)) throw new Error(`read back ${back.length} points`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { samples, stateBytes };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Table columns: sample field and header. */
const COLUMNS: [keyof Sample, string][] = [
  ['serialiseMs', 'serialise'],
  ['serialiseCpuMs', 'serialise cpu'],
  ['commitCpuMs', 'commit cpu'],
  ['commitLongestMs', 'commit stall'],
  ['commitLongestCpuMs', 'commit stall cpu'],
  ['commitWallMs', 'commit wall'],
];
const cell = (x: string) => x.padStart(17);
const results: Record<string, unknown>[] = [];
process.stdout.write(
  `checkpoint of ${SERIES} series (EWMA), ${REPS} reps, main thread; ms, median / max\n` +
    `${'writer'.padEnd(8)}${'points'.padStart(7)}${COLUMNS.map(([, h]) => cell(h)).join('')}\n`,
);
for (const points of POINT_COUNTS) {
  for (const writer of args.writer.split(',') as ('inline' | 'worker')[]) {
    const { samples, stateBytes } = await run(writer, points);
    const row: Record<string, unknown> = { writer, series: SERIES, pointsPerSeries: points, stateBytes };
    let line = `${writer.padEnd(8)}${String(points).padStart(7)}`;
    for (const [k] of COLUMNS) {
      const xs = samples.map((s) => s[k]);
      row[k] = { median: median(xs), max: Math.max(...xs) };
      line += cell(`${median(xs).toFixed(1)} / ${Math.max(...xs).toFixed(1)}`);
    }
    row.samples = samples;
    results.push(row);
    process.stdout.write(`${line}\n`);
  }
}
mkdirSync(dirname(args.json), { recursive: true });
writeFileSync(
  args.json,
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, results }, null, 2)}\n`,
);
process.stdout.write(`wrote ${args.json}\n`);
