/**
 * Detector kernel throughput on the NAB corpus (perf-anchors B1): all 58 files preloaded, points
 * fed interleaved by timestamp across series (ties in file order), one detector per series,
 * score-then-learn through step() where a detector has it, one thread. Prints the best of
 * `--runs` timed runs after one warm-up run, by wall clock and by this process's CPU time (on a
 * loaded machine the second is the steadier: time waiting for a core is not counted), plus
 * snapshot size per series at the end.
 *
 *   npx node bench/detectors.ts [name …] [--runs 5] [--nab bench/datasets/nab]
 *
 * Never gates anything on time (STYLE 15); it is a measurement to read and record.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Detector } from '../src/core/detectors/index.ts';
import { builtinDetectors } from '../src/core/detectors/index.ts';

const args = process.argv.slice(2);
const opt = (flag: string, fallback: string): string => {
  const i = args.indexOf(flag);
  if (i < 0) return fallback;
  const v = args[i + 1] ?? fallback;
  args.splice(i, 2);
  return v;
};
const runs = Number(opt('--runs', '5'));
const nabDir = resolve(opt('--nab', join(import.meta.dirname, 'datasets/nab')));
const registry = builtinDetectors();
const names = args.length > 0 ? args : registry.factories().map((f) => f.name);

interface Corpus {
  series: number;
  sid: Int32Array;
  ts: Float64Array;
  values: Float64Array;
}

function loadCorpus(dir: string): Corpus {
  const rows: { sid: number; ts: number; value: number }[] = [];
  let series = 0;
  for (const cat of readdirSync(join(dir, 'data')).sort()) {
    if (cat.endsWith('.md')) continue;
    for (const file of readdirSync(join(dir, 'data', cat)).sort()) {
      const lines = readFileSync(join(dir, 'data', cat, file), 'utf8')
        .trim()
        .split('\n')
        .slice(1);
      for (const line of lines) {
        const [t, v] = line.split(',');
        rows.push({ sid: series, ts: Date.parse(`${t!.replace(' ', 'T')}Z`), value: Number(v) });
      }
      series++;
    }
  }
  // Stable sort keeps file order within a series (NAB files have repeated and backward stamps).
  rows.sort((a, b) => a.ts - b.ts || a.sid - b.sid);
  return {
    series,
    sid: Int32Array.from(rows, (r) => r.sid),
    ts: Float64Array.from(rows, (r) => r.ts),
    values: Float64Array.from(rows, (r) => r.value),
  };
}

function once(name: string, c: Corpus): { ms: number; cpuMs: number; detectors: Detector[]; sink: number } {
  const detectors: Detector[] = [];
  for (let s = 0; s < c.series; s++) detectors.push(registry.create(name));
  let sink = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < c.values.length; i++) {
    const d = detectors[c.sid[i]!]!;
    if (d.step !== undefined) sink += d.step(c.ts[i]!, c.values[i]!).score;
    else {
      sink += d.score(c.ts[i]!, c.values[i]!).score;
      d.update(c.ts[i]!, c.values[i]!);
    }
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, detectors, sink };
}

const corpus = loadCorpus(nabDir);
process.stdout.write(
  `NAB corpus: ${corpus.values.length} points, ${corpus.series} series, interleaved by time; ` +
    `best of ${runs} after 1 warm-up; node ${process.version}\n\n`,
);
process.stdout.write(
  `${'detector'.padEnd(20)}${'points/s'.padStart(14)}${'points/CPU s'.padStart(14)}${'state B/series (mean / max)'.padStart(32)}\n`,
);
for (const name of names) {
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  let last = once(name, corpus);
  for (let r = 0; r < runs; r++) {
    last = once(name, corpus);
    best = Math.min(best, last.ms);
    bestCpu = Math.min(bestCpu, last.cpuMs);
  }
  const sizes = last.detectors.map((d) => JSON.stringify(d.snapshot()).length);
  const mean = Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
  const rate = Math.round(corpus.values.length / (best / 1000));
  const cpuRate = Math.round(corpus.values.length / (bestCpu / 1000));
  process.stdout.write(
    `${name.padEnd(20)}${rate.toLocaleString('en-US').padStart(14)}${cpuRate.toLocaleString('en-US').padStart(14)}${`${mean} / ${Math.max(...sizes)}`.padStart(32)}\n`,
  );
  if (Number.isNaN(last.sink)) process.stdout.write('  (NaN score seen)\n');
}
