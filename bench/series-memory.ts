/**
 * What a series' state holds in memory, without a server: one Engine (the one `vigil serve` runs
 * on each engine thread) gets `--series` series of `--points` points each (one a minute, a daily
 * wave plus a deterministic jitter), in two halves, then prints per series the growth of the V8
 * heap (used and committed, and of that the young generation), of the array buffers outside it,
 * and of the resident set (V8's pages, malloc's, the rest), each after two full garbage
 * collections, over all series and over the second half alone. `vigil bench cardinality`
 * measures new series end to end; this measures the state that src/app/memory-budget.ts charges.
 *
 *   npx node --expose-gc --min-semi-space-size=16 --max-semi-space-size=16 \
 *     bench/series-memory.ts [--detector default] [--series 300] [--points 10000]
 *
 * Pin the young generation as above: it grows to its maximum (16 MiB here) once, whatever the
 * series count, and without the flags that growth is charged to the few hundred series of a
 * run (it made a grown default series look like ~155 KB instead of ~90 KB).
 * A measurement to read and record (bench/README.md "Cost per series"); never a gate.
 */
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { builtinDetectors } from '../src/core/detectors/index.ts';
import { pipelinesOf } from '../src/core/pipeline/pipelines.ts';
import { defaultSeriesConfig } from '../src/core/series-config.ts';
import { Engine, type EngineOutput } from '../src/engine/engine.ts';

const args = process.argv.slice(2);
const opt = (flag: string, fallback: string): string => {
  const i = args.indexOf(flag);
  return i < 0 ? fallback : (args[i + 1] ?? fallback);
};
const detector = opt('--detector', 'default');
const series = Number(opt('--series', '300'));
const points = Number(opt('--points', '10000'));
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const registry = builtinDetectors();
const engine = new Engine({
  registry,
  defaults: defaultSeriesConfig(pipelinesOf(registry), { detector, params: {} }),
  allowedLatenessMs: 0,
});
let scored = 0;
const out: EngineOutput = { point: () => void scored++, anomaly: () => {}, rejected: () => {} };
const T0 = Date.UTC(2026, 0, 1);
const value = (s: number, k: number) =>
  50 + 10 * Math.sin((2 * Math.PI * k) / 1440) + ((s * 7 + k * 13) % 11);

// One series first, so what every series shares (code, compiled functions, module state) is paid
// before the baseline.
for (let k = 0; k < points; k++) engine.process(series, T0 + k * 60_000, value(series, k), out);
/**
 * Resident bytes by kind of mapping (Linux /proc/self/smaps): V8's heap pages (anonymous 256 KiB
 * mappings), malloc's (the [heap] and anonymous mappings of 64 MiB arenas: array buffers' data,
 * SQLite, V8's own tables) and the rest.
 */
function residentByKind(): { v8: number; malloc: number; other: number } {
  const out = { v8: 0, malloc: 0, other: 0 };
  let kind: keyof typeof out = 'other';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m !== null) {
      const size = Number.parseInt(m[2]!, 16) - Number.parseInt(m[1]!, 16);
      const path = m[3]!;
      kind =
        path === '[heap]' || (path === '' && size >= 60 * 1048576)
          ? 'malloc'
          : path === '' && size === 256 * 1024
            ? 'v8'
            : 'other';
      continue;
    }
    const r = /^Rss:\s+(\d+) kB/.exec(line);
    if (r !== null) out[kind] += Number(r[1]) * 1024;
  }
  return out;
}

const settle = () => {
  gc();
  gc();
  const newSpace = getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')?.space_size ?? 0;
  return { ...process.memoryUsage(), ...residentByKind(), newSpace };
};
const grow = (from: number, to: number) => {
  for (let s = from; s < to; s++) {
    for (let k = 0; k < points; k++) engine.process(s, T0 + k * 60_000, value(s, k), out);
  }
};
type Reading = ReturnType<typeof settle>;
const line = (label: string, a: Reading, b: Reading, n: number) => {
  const per = (x: number, y: number) => `${((y - x) / n / 1024).toFixed(1)} KB`;
  return (
    `${label}: heap used ${per(a.heapUsed, b.heapUsed)}, heap committed ${per(a.heapTotal, b.heapTotal)} ` +
    `(new space ${per(a.newSpace, b.newSpace)}), array buffers ${per(a.arrayBuffers, b.arrayBuffers)}, ` +
    `resident ${per(a.rss, b.rss)} (V8 pages ${per(a.v8, b.v8)}, malloc ${per(a.malloc, b.malloc)}, ` +
    `other ${per(a.other, b.other)})\n`
  );
};
// Two halves: the first pays what grows once whatever the series count (the young generation
// growing to its maximum, V8's and malloc's pools), so the second half's growth is what one more
// series costs.
const half = Math.floor(series / 2);
const m0 = settle();
const started = performance.now();
grow(0, half);
const mh = settle();
grow(half, series);
const seconds = (performance.now() - started) / 1000;
const m1 = settle();
const state = engine.takeDirtyStates();
let stateBytes = 0;
for (const text of state.values()) stateBytes += text.length;
process.stdout.write(
  `${detector}: ${series} series × ${points} points (${Math.round((series * points) / seconds)} points/s); ` +
    `snapshot ${(stateBytes / state.size / 1024).toFixed(1)} KB a series\n` +
    line('per series, all', m0, m1, series) +
    line('per series, second half', mh, m1, series - half),
);
