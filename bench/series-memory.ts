/**
 * What a series' state holds in memory once it has grown, without a server: one Engine (the one
 * `vigil serve` runs on each engine thread) gets `--series` series of `--points` points each (one a
 * minute, a daily wave plus a deterministic jitter), then prints per series the growth of the V8
 * heap (used and committed), of the array buffers outside it, and of the resident set, each after
 * two full garbage collections. `vigil bench cardinality` measures new series end to end; this
 * measures the grown state that src/app/memory-budget.ts charges a series.
 *
 *   npx node --expose-gc bench/series-memory.ts [--detector default] [--series 300] [--points 10000]
 *
 * A measurement to read and record (bench/README.md "Cost per series"); never a gate. The resident
 * set includes the heap's slack after scoring --series × --points points (garbage freed but not
 * returned), so it is an upper figure.
 */
import { readFileSync } from 'node:fs';
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
  return { ...process.memoryUsage(), ...residentByKind() };
};
const m0 = settle();
const started = performance.now();
for (let s = 0; s < series; s++) {
  for (let k = 0; k < points; k++) engine.process(s, T0 + k * 60_000, value(s, k), out);
}
const seconds = (performance.now() - started) / 1000;
const m1 = settle();
const per = (a: number, b: number) => `${((b - a) / series / 1024).toFixed(1)} KB`;
const state = engine.takeDirtyStates();
let stateBytes = 0;
for (const text of state.values()) stateBytes += text.length;
process.stdout.write(
  `${detector}: ${series} series × ${points} points (${Math.round((series * points) / seconds)} points/s)\n` +
    `per series: heap used ${per(m0.heapUsed, m1.heapUsed)}, heap committed ${per(m0.heapTotal, m1.heapTotal)}, ` +
    `array buffers ${per(m0.arrayBuffers, m1.arrayBuffers)}, resident ${per(m0.rss, m1.rss)} ` +
    `(V8 pages ${per(m0.v8, m1.v8)}, malloc ${per(m0.malloc, m1.malloc)}, other ${per(m0.other, m1.other)}); ` +
    `snapshot ${(stateBytes / state.size / 1024).toFixed(1)} KB\n`,
);
