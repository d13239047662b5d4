/** `vigil replay`: scores a `timestamp,value` CSV offline through the same engine as the server. */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseTimestampValueCsv } from '../adapters/ingest/csv.ts';
import { builtinDetectors } from '../core/detectors/index.ts';
import { pipelinesOf } from '../core/pipeline/pipelines.ts';
import type { ScoredPoint } from '../core/point.ts';
import { defaultSeriesConfig } from '../core/series-config.ts';
import { Engine } from '../engine/engine.ts';
import { Progress } from './progress.ts';

export interface ReplayOptions {
  /** A preset or detector name (its default pipeline), with its detector params. */
  detector: string;
  params: Record<string, unknown>;
  /** Absent: the pipeline's recommended threshold. */
  threshold?: number;
  progress: boolean;
}

/** Returns the output CSV text: `timestamp,value,score,anomalous,expected,lower,upper`. */
export function replayCsv(
  text: string,
  name: string,
  o: ReplayOptions,
): { csv: string; anomalous: number; points: number } {
  const input = parseTimestampValueCsv(text, name);
  const registry = builtinDetectors();
  const engine = new Engine({
    registry,
    defaults: defaultSeriesConfig(pipelinesOf(registry), {
      detector: o.detector,
      params: o.params,
      ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
    }),
    allowedLatenessMs: 0,
  });
  const rows: string[] = ['timestamp,value,score,anomalous,expected,lower,upper'];
  let current: ScoredPoint | null = null;
  let anomalous = 0;
  const out = {
    point: (_sid: number, p: ScoredPoint) => {
      current = p;
    },
    anomaly: () => {},
    rejected: () => {},
  };
  const bar = o.progress ? new Progress('replay', input.ts.length) : null;
  const f = (x: number) => (Number.isNaN(x) ? '' : String(x));
  for (let i = 0; i < input.ts.length; i++) {
    current = null;
    engine.process(0, input.ts[i]!, input.values[i]!, out);
    const p = current as ScoredPoint | null;
    if (p === null) {
      rows.push(`${input.rawTs[i]},${input.values[i]},,,,,`); // rejected (out of order or duplicate)
    } else {
      if (p.anomalous) anomalous++;
      rows.push(
        `${input.rawTs[i]},${p.value},${p.score},${p.anomalous ? 1 : 0},${f(p.expected)},${f(p.lower)},${f(p.upper)}`,
      );
    }
    if (bar !== null && (i & 1023) === 1023) bar.tick(1024);
  }
  bar?.tick(input.ts.length % 1024);
  bar?.finish();
  return { csv: `${rows.join('\n')}\n`, anomalous, points: input.ts.length };
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      'score a timestamp,value CSV offline and write timestamp,value,score,anomalous,expected,lower,upper',
    )
    .argument('<file>', 'input CSV (header optional; epoch ms, RFC 3339 or YYYY-MM-DD HH:MM:SS timestamps)')
    .option('--detector <name>', 'preset or detector name (see `GET /api/v1/detectors`)', 'default')
    .option('--params <json>', 'detector params as JSON', '{}')
    .option(
      '--threshold <score>',
      "score at or above which a point is anomalous (default: the detector's own)",
    )
    .option('-o, --out <file>', 'output CSV (default: stdout)')
    .action((file: string, o: { detector: string; params: string; threshold?: string; out?: string }) => {
      const r = replayCsv(readFileSync(file, 'utf8'), file, {
        detector: o.detector,
        params: JSON.parse(o.params) as Record<string, unknown>,
        ...(o.threshold !== undefined ? { threshold: Number(o.threshold) } : {}),
        progress: o.out !== undefined,
      });
      if (o.out === undefined) process.stdout.write(r.csv);
      else {
        writeFileSync(o.out, r.csv);
        process.stderr.write(`replay: ${r.points} points, ${r.anomalous} anomalous → ${o.out}\n`);
      }
    });
}
