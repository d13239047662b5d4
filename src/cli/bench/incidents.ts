/**
 * `vigil bench incidents`: incident grouping and root-cause ranking on seeded generated scenarios
 * (src/core/bench/incidents/): services in a dependency graph, faults spreading to dependants,
 * unrelated noise. Runs each scenario under two rules — time and group labels alone, and with
 * `relatedOnly` — prints a table and writes the figures as JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import {
  BENCH_RULE,
  type IncidentBenchResult,
  runIncidentBench,
} from '../../core/bench/incidents/evaluate.ts';
import { DEFAULT_SCENARIO } from '../../core/bench/incidents/scenario.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface IncidentBenchCase extends IncidentBenchResult {
  name: 'incidents';
  case: 'time-and-labels' | 'related-only';
  seed: number;
  /** Anomaly changes (open and close of each anomaly) the grouper took per second, ticks included. */
  changesPerSec: number;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

export function registerIncidents(bench: Command): void {
  bench
    .command('incidents')
    .description('incident grouping precision/recall/F1 and root cause top-1/top-3 on generated scenarios')
    .option('--scenarios <n>', 'scenarios per case', '500')
    .option('--seed <n>', 'seed of the first scenario', '1')
    .option('--noise <perHour>', 'noise anomalies per hour', String(DEFAULT_SCENARIO.noisePerHour))
    .option('--json <file>', 'result JSON', join(ROOT, 'bench/results/incidents.json'))
    .action((o: { scenarios: string; seed: string; noise: string; json: string }) => {
      const scenarios = Number(o.scenarios);
      const seed = Number(o.seed);
      const noise = Number(o.noise);
      if (!Number.isInteger(scenarios) || scenarios < 1) throw new Error('--scenarios: a positive integer');
      if (!Number.isInteger(seed)) throw new Error('--seed: an integer');
      if (!(noise >= 0)) throw new Error('--noise: a number ≥ 0');
      const params = { ...DEFAULT_SCENARIO, noisePerHour: noise };
      const cases: IncidentBenchCase[] = (
        [
          ['time-and-labels', BENCH_RULE],
          ['related-only', { ...BENCH_RULE, relatedOnly: true }],
        ] as const
      ).map(([name, rule]) => {
        const t0 = performance.now();
        const r = runIncidentBench(scenarios, seed, params, rule);
        const seconds = (performance.now() - t0) / 1000;
        return {
          name: 'incidents',
          case: name,
          seed,
          ...r,
          changesPerSec: Math.round((2 * r.anomalies) / seconds),
        };
      });
      const head = [
        'case',
        'scenarios',
        'anomalies',
        'faults',
        'incidents',
        'precision',
        'recall',
        'F1',
        'top-1',
        'top-3',
        'changes/s',
      ];
      const rows = cases.map((c) => [
        c.case,
        String(c.scenarios),
        String(c.anomalies),
        String(c.faults),
        String(c.incidents),
        pct(c.precision),
        pct(c.recall),
        c.f1.toFixed(3),
        pct(c.rootCauseTop1),
        pct(c.rootCauseTop3),
        String(c.changesPerSec),
      ]);
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const r of [head, ...rows]) console.log(r.map((v, i) => v.padEnd(widths[i]!)).join('  '));
      console.log('goals: F1 ≥ 0.9, root cause top-1 ≥ 80 %, top-3 ≥ 95 %');
      mkdirSync(dirname(resolve(o.json)), { recursive: true });
      writeFileSync(resolve(o.json), `${JSON.stringify(cases, null, 2)}\n`);
      console.log(`wrote ${o.json}`);
    });
}
