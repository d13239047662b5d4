/**
 * Time to train over the NAB corpus (`vigil train`'s core, app/training.ts `train`), with every
 * core: all 58 files as training series, NAB's labelled anomalies as `anomaly` feedback labels (one
 * label at each window's centre, so the objective's windows are NAB's), the default candidate
 * search. Prints the wall time, the thread time, points backtested per second per thread and in
 * all, and the best candidates. No registry, no server: the backtests and the objective only.
 *
 *   npx node bench/train-nab.ts [--budget 16] [--workers N] [--families fast,ewma] [--files realKnownCause]
 *                               [--no-labels] [--nab bench/datasets/nab]
 *
 * Never gates anything on time (STYLE 15); it is a measurement to read and record.
 */
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { loadNabCorpus } from '../src/adapters/nab/corpus-loader.ts';
import { train } from '../src/app/training.ts';
import type { TrainingSeries } from '../src/core/models/backtest.ts';
import { PRESETS } from '../src/core/pipeline/presets.ts';

const args = process.argv.slice(2);
const opt = (flag: string, fallback: string): string => {
  const i = args.indexOf(flag);
  return i < 0 ? fallback : (args[i + 1] ?? fallback);
};
const budget = Number(opt('--budget', '16'));
const workers = Number(opt('--workers', String(availableParallelism())));
const families = opt('--families', '');
const filesFilter = opt('--files', '');
const labelled = !args.includes('--no-labels');
const nabDir = resolve(opt('--nab', join(import.meta.dirname, 'datasets/nab')));

const corpus = await loadNabCorpus(nabDir);
let dropped = 0;
const series: TrainingSeries[] = corpus.files
  .filter((f) => filesFilter === '' || f.name.includes(filesFilter))
  .map((f) => {
    // Training series have increasing timestamps (as a store returns them); a few NAB rows repeat one.
    const keep: number[] = [];
    let last = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < f.length; i++) {
      if (f.ts[i]! > last) {
        keep.push(i);
        last = f.ts[i]!;
      } else dropped++;
    }
    const ts = Float64Array.from(keep, (i) => f.ts[i]!);
    const values = Float64Array.from(keep, (i) => f.values[i]!);
    const labels = labelled
      ? f.windows.map((w) => {
          const t = f.ts[Math.floor((w.start + w.end) / 2)]!;
          return { label: 'anomaly' as const, start: t, end: t };
        })
      : [];
    return { key: f.name, ts, values, labels };
  });

const points = series.reduce((n, s) => n + s.ts.length, 0);
process.stderr.write(
  `train-nab: ${series.length} series, ${points} points (${dropped} repeated timestamps dropped), budget ${budget}, ${workers} workers, ${cpus()[0]?.model ?? '?'}\n`,
);
let lastPct = -1;
const result = await train(series, {
  budget,
  workers,
  engineDefault: PRESETS.get('default')!,
  ...(families !== '' ? { families: families.split(',') } : {}),
  onProgress(done, total) {
    const pct = Math.floor((100 * done) / total / 10) * 10;
    if (pct !== lastPct) {
      lastPct = pct;
      process.stderr.write(`  ${pct}%\n`);
    }
  },
});

const backtested = points * result.results.length;
const wall = result.wallMs / 1000;
const busy = result.busyMs / 1000;
const cpu = result.cpuMs / 1000;
const lines = [
  `objective ${result.objective}, ${result.results.length} candidates, ${result.labels.used} labels`,
  `wall ${wall.toFixed(1)} s, thread time ${busy.toFixed(1)} s, CPU time ${cpu.toFixed(1)} s on ${result.workers} workers`,
  `backtested ${backtested} points: ${(backtested / wall / 1000).toFixed(1)}k points/s in all, ${(backtested / busy / 1000).toFixed(1)}k points/s per thread, ${(backtested / cpu / 1000).toFixed(1)}k points per CPU-second`,
  `winner c${String(result.winner.candidate.index).padStart(3, '0')} ${result.winner.candidate.pipeline.name ?? result.winner.candidate.pipeline.detector.name}: ${result.winner.result.score.toFixed(2)}`,
  '',
  'candidate                                   score   anomalies  alerts/series-day  thread s     CPU s',
  ...[...result.results]
    .sort((a, b) => b.result.score - a.result.score)
    .map((r) => {
      const name = r.candidate.pipeline.name ?? r.candidate.pipeline.detector.name;
      return `${`c${String(r.candidate.index).padStart(3, '0')} ${name}`.padEnd(42)} ${r.result.score.toFixed(2).padStart(7)} ${String(r.result.metrics.anomalies).padStart(10)} ${r.result.metrics.alerts_per_series_day!.toFixed(3).padStart(18)} ${(r.busyMs / 1000).toFixed(1).padStart(9)} ${(r.cpuMs / 1000).toFixed(1).padStart(9)}`;
    }),
];
process.stdout.write(`${lines.join('\n')}\n`);
