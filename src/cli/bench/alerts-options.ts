/**
 * The options of `vigil bench alerts` checked and typed (pure: no I/O), and the table the command
 * prints: the header, one row per background level, and the goal line of the deployment measured
 * (embedded `vigil serve`, or the scaled-out deployment of `npm run cluster` with --cluster).
 */
import { join } from 'node:path';

/** The options as commander hands them over (strings; `cluster` a flag). */
export interface AlertsOptions {
  rates: string;
  seconds: string;
  intervalMs: string;
  missTimeoutMs: string;
  series: string;
  batch: string;
  connections: string;
  detector: string;
  cluster?: boolean;
  json?: string;
}

export type AlertsMode = 'embedded' | 'cluster';

/** The checked options: numbers parsed, the result file chosen by mode. */
export interface AlertsSettings {
  mode: AlertsMode;
  rates: number[];
  seconds: number;
  intervalMs: number;
  missTimeoutMs: number;
  series: number;
  batch: number;
  connections: number;
  detector: string;
  json: string;
}

/** The p99 goal per deployment (issue 14): 1 s embedded, 2 s scaled out. */
export const GOAL_P99_MS: Record<AlertsMode, number> = { embedded: 1000, cluster: 2000 };

function positive(flag: string, raw: string, integer: boolean): number {
  const n = Number(raw);
  if (!(n > 0) || (integer && !Number.isInteger(n))) {
    throw new Error(
      `--${flag} must be ${integer ? 'an integer' : 'a number'} > 0 (got ${JSON.stringify(raw)})`,
    );
  }
  return n;
}

/**
 * Checks the options; each error names its flag. Without --json the results go to
 * `<root>/bench/results/alerts.json` embedded, `alerts-cluster.json` with --cluster, so one mode's
 * run never overwrites the other's figures.
 */
export function parseAlertsOptions(o: AlertsOptions, root: string): AlertsSettings {
  const mode: AlertsMode = o.cluster === true ? 'cluster' : 'embedded';
  const rates = o.rates.split(',').map(Number);
  if (o.rates.trim() === '' || rates.some((r) => !(r > 0))) {
    throw new Error(`--rates must list numbers > 0 (got ${JSON.stringify(o.rates)})`);
  }
  return {
    mode,
    rates,
    seconds: positive('seconds', o.seconds, false),
    intervalMs: positive('interval-ms', o.intervalMs, false),
    missTimeoutMs: positive('miss-timeout-ms', o.missTimeoutMs, false),
    series: positive('series', o.series, true),
    batch: positive('batch', o.batch, true),
    connections: positive('connections', o.connections, true),
    detector: o.detector,
    json: o.json ?? join(root, 'bench/results', mode === 'cluster' ? 'alerts-cluster.json' : 'alerts.json'),
  };
}

/** One background level's figures, as the table prints them. */
export interface LevelFigures {
  backgroundRate: number;
  achievedRate: number;
  probes: number;
  received: number;
  misses: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  ackP50Ms: number | null;
  ackP99Ms: number | null;
  maxLagPoints: number;
}

const COLUMNS: [string, number][] = [
  ['background', 10],
  ['achieved', 10],
  ['probes', 6],
  ['received', 8],
  ['misses', 6],
  ['p50 ms', 7],
  ['p99 ms', 7],
  ['max ms', 7],
  ['ack p50', 7],
  ['ack p99', 7],
  ['max lag', 9],
];

export function header(): string {
  return COLUMNS.map(([name, width]) => name.padStart(width)).join(' ');
}

export function row(l: LevelFigures): string {
  const ms = (x: number | null) => (x === null ? '-' : x.toFixed(0));
  const cells = [
    String(l.backgroundRate),
    String(l.achievedRate),
    String(l.probes),
    String(l.received),
    String(l.misses),
    ms(l.p50Ms),
    ms(l.p99Ms),
    ms(l.maxMs),
    ms(l.ackP50Ms),
    ms(l.ackP99Ms),
    String(l.maxLagPoints),
  ];
  return cells.map((c, i) => c.padStart(COLUMNS[i]![1])).join(' ');
}

/** The closing line: the mode's goal, and whether each level met it. */
export function goalLine(mode: AlertsMode, levels: readonly LevelFigures[], refused: number): string {
  const goal = GOAL_P99_MS[mode];
  const verdicts = levels.map((l) => {
    const met = l.misses === 0 && l.p99Ms !== null && l.p99Ms <= goal;
    return `${l.backgroundRate}/s ${met ? 'met' : 'not met'}`;
  });
  return `goal: p99 ≤ ${goal} ms ${mode === 'cluster' ? 'scaled out' : 'embedded'} (${verdicts.join(', ')}); refused webhook requests: ${refused}`;
}

/** Nearest-rank percentile of sorted `xs`; null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
