/**
 * Cost of retention and of deleting series in the embedded store:
 * `npx node bench/retention.ts [--series 10000] [--checkpoints 30] [--points 10]`.
 * Prints figures; never gates on time.
 *
 * Fills store.db (worker writer, as the server runs it) with `--checkpoints` checkpoints of one
 * chunk of `--points` points per series, so most chunks sit in compacted runs and the rest in
 * recent entries. Then measures, on the main thread:
 * - one retention slice (1,000 series, the sweep's unit) dropping the older half of every series'
 *   chunks: wall time until its transaction committed on the writer;
 * - a checkpoint sent right behind a slice: how long a commit waits for it;
 * - the event loop's longest stall during a whole sweep (monitorEventLoopDelay, 1 ms resolution):
 *   the work is the writer's, so this should stay near the idle figure;
 * - deleting 10,000 series (the most one request may; transactions of 1,000), and how long a
 *   checkpoint sent meanwhile waits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/adapters/sqlite/database.ts';
import { SqliteStoreDb } from '../src/adapters/sqlite/store-db.ts';
import type { ScoredPoint } from '../src/core/point.ts';
import { PointColumns } from '../src/core/point-columns.ts';

const { values: args } = parseArgs({
  options: {
    series: { type: 'string', default: '10000' },
    checkpoints: { type: 'string', default: '30' },
    points: { type: 'string', default: '10' },
  },
});
const SERIES = Number(args.series);
const CHECKPOINTS = Number(args.checkpoints);
const POINTS = Number(args.points);
const SLICE = 1000;

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-retention-'));
const path = join(dir, 'store.db');
const store = new SqliteStoreDb(openDatabase(path, 'normal'), {
  kind: 'worker',
  path,
  synchronous: 'normal',
});
let offset = 0;

const point = (ts: number, value: number): ScoredPoint => ({
  ts,
  value,
  score: 0.1,
  expected: value,
  lower: value - 1,
  upper: value + 1,
  anomalous: false,
});

async function checkpoint(k: number): Promise<number> {
  const points = new Map<number, PointColumns>();
  for (let sid = 1; sid <= SERIES; sid++) {
    points.set(
      sid,
      PointColumns.of(Array.from({ length: POINTS }, (_, i) => point(k * POINTS + i, sid + i))),
    );
  }
  const t = performance.now();
  await store.commit({ offset: ++offset, points, anomalies: [], states: new Map() });
  return performance.now() - t;
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const commits: number[] = [];
  for (let k = 0; k < CHECKPOINTS; k++) commits.push(await checkpoint(k));
  console.log(
    `store: ${SERIES} series × ${CHECKPOINTS} chunks of ${POINTS} points; a checkpoint of all series: median ${ms(median(commits))}`,
  );

  const cutoff = (CHECKPOINTS / 2) * POINTS;
  const slices: number[] = [];
  const behind: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let removed = 0;
  for (let first = 1; first <= SERIES; first += SLICE) {
    const n = Math.min(SLICE, SERIES - first + 1);
    const ids = Int32Array.from({ length: n }, (_, i) => first + i);
    const t = performance.now();
    const slice = store.retain(ids, new Float64Array(n).fill(cutoff));
    // A checkpoint of one series sent right behind the slice waits for it on the writer.
    const c = performance.now();
    const next = store.commit({
      offset: ++offset,
      points: new Map([[1, PointColumns.of([point(1e9 + offset, 1)])]]),
      anomalies: [],
      states: new Map(),
    });
    removed += (await slice).chunks;
    slices.push(performance.now() - t);
    await next;
    behind.push(performance.now() - c);
  }
  loop.disable();
  console.log(
    `retention: ${removed} chunks removed in ${slices.length} slices of ${SLICE} series; per slice median ${ms(median(slices))}, max ${ms(Math.max(...slices))}; a checkpoint queued behind a slice: median ${ms(median(behind))}; longest event-loop stall during the sweep ${ms(loop.max / 1e6)}`,
  );

  const ids = Array.from({ length: Math.min(SERIES, 10_000) }, (_, i) => i + 1);
  const t = performance.now();
  const deleting = store.deleteSeries(ids);
  // Sent after the delete started (as the engine's next checkpoint would be): waits for one slice.
  const c = performance.now();
  await store.commit({
    offset: ++offset,
    points: new Map([[SERIES + 1, PointColumns.of([point(2e9, 1)])]]),
    anomalies: [],
    states: new Map(),
  });
  const waited = performance.now() - c;
  const del = await deleting;
  console.log(
    `delete: ${ids.length} series (${del.chunks} chunks, ${del.points} points) in ${ms(performance.now() - t)}; a checkpoint sent meanwhile waited ${ms(waited)}`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
