/**
 * Heavy detectors (rcf, knn-cad, cad-ose, artime) on the NAB corpus: single-thread throughput with
 * all 58 series interleaved by timestamp (perf-anchors B1, the kernel of `vigil bench nab`), and
 * state per series at the end of each file: the snapshot's JSON length (what a checkpoint stores)
 * and, where a detector reports it, its in-memory typed-array bytes. Both modes: `nab` hands each
 * detector the file's min/max/probation as NAB does, `strict` hands it nothing.
 *
 *   npx node bench/heavy-detectors.ts [name …] [--runs 3] [--mode nab|strict|both] [--nab DIR]
 *
 * Prints best-of-runs after one warm-up; never gates on time (STYLE 15).
 */
import { join, resolve } from 'node:path';
import { loadNabCorpus } from '../src/adapters/nab/corpus-loader.ts';
import { interleaveByTimestamp, runKernel } from '../src/cli/bench/nab-kernel.ts';
import { probationaryLength } from '../src/core/bench/nab/probation.ts';
import type { Detector, DetectorHints } from '../src/core/detectors/index.ts';
import { builtinDetectors } from '../src/core/detectors/index.ts';

const args = process.argv.slice(2);
const opt = (flag: string, fallback: string): string => {
  const i = args.indexOf(flag);
  if (i < 0) return fallback;
  const v = args[i + 1] ?? fallback;
  args.splice(i, 2);
  return v;
};
const runs = Number(opt('--runs', '3'));
const modeArg = opt('--mode', 'both');
const nabDir = resolve(opt('--nab', join(import.meta.dirname, 'datasets/nab')));
const names = args.length > 0 ? args : ['rcf', 'knn-cad', 'cad-ose', 'artime'];
const modes = modeArg === 'both' ? ['nab', 'strict'] : [modeArg];

const registry = builtinDetectors();
const corpus = await loadNabCorpus(nabDir);
const ts = corpus.files.map((f) => f.ts);
const values = corpus.files.map((f) => f.values);
const order = interleaveByTimestamp(ts);
const hintsOf = (mode: string): DetectorHints[] =>
  corpus.files.map((f) => {
    if (mode !== 'nab') return {};
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of f.values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { min, max, probationaryLength: probationaryLength(f.length) };
  });

process.stdout.write(
  `NAB corpus: ${order.series.length.toLocaleString('en-US')} points, ${corpus.files.length} series, ` +
    `interleaved by timestamp; one thread; best of ${runs} after 1 warm-up; node ${process.version}\n\n`,
);
process.stdout.write(
  `${'detector'.padEnd(10)}${'mode'.padEnd(8)}${'points/s'.padStart(12)}` +
    `${'snapshot B/series mean / max'.padStart(32)}${'memory B/series'.padStart(18)}\n`,
);
for (const name of names) {
  for (const mode of modes) {
    const hints = hintsOf(mode);
    const build = (): Detector[] => hints.map((h) => registry.create(name, {}, undefined, h));
    let best = 0;
    let detectors = build();
    runKernel(detectors, ts, values, order);
    for (let r = 0; r < runs; r++) {
      detectors = build();
      best = Math.max(best, runKernel(detectors, ts, values, order));
    }
    const sizes = detectors.map((d) => JSON.stringify(d.snapshot()).length);
    const mean = Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
    const memory = detectors.map((d) => (d as { memoryBytes?: number }).memoryBytes);
    const mem = memory.every((m) => m !== undefined)
      ? Math.round(memory.reduce((a, b) => a! + b!, 0)! / memory.length).toLocaleString('en-US')
      : '—';
    process.stdout.write(
      `${name.padEnd(10)}${mode.padEnd(8)}${Math.round(best).toLocaleString('en-US').padStart(12)}` +
        `${`${mean.toLocaleString('en-US')} / ${Math.max(...sizes).toLocaleString('en-US')}`.padStart(32)}` +
        `${mem.padStart(18)}\n`,
    );
  }
}
