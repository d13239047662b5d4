/**
 * What `vigil bench nab` prints: one summary per run, the NAB scoreboard (the published leaders
 * beside ours only when the corpus is NAB v1.1 itself, whole), and the ranking table
 * (ROC-AUC, AUC-PR, VUS-PR and, with `--metric ucr`, the UCR top-1 fraction).
 */
import type { NabCorpus } from '../../adapters/nab/corpus-loader.ts';
import type { AlarmRate } from '../../core/bench/nab/alarm-rate.ts';
import type { NabBenchResult } from './nab.ts';

/** Published NAB scores (README of numenta/NAB; Numenta HTM at the top of its seed range). */
const PUBLISHED: readonly [name: string, standard: number, lowFp: number, lowFn: number][] = [
  ['ARTime', 74.9, 65.1, 80.4],
  ['Numenta HTM', 70.5, 62.6, 75.2],
  ['CAD OSE', 69.9, 67.0, 73.2],
  ['earthgecko Skyline', 58.2, 46.2, 63.9],
  ['KNN CAD', 58.0, 43.4, 64.8],
  ['Relative Entropy', 54.6, 47.6, 58.8],
  ['Random Cut Forest', 51.7, 38.4, 59.7],
  ['Twitter ADVec', 47.1, 33.6, 53.5],
  ['Windowed Gaussian', 39.6, 20.9, 47.4],
];
export const BOARD_PROFILES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'];

/** NAB v1.1 as published: 58 files, 365,558 rows (a subset or another corpus is not comparable). */
const NAB_FILES = 58;
const NAB_POINTS = 365_558;

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const measure = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(3));

export function describeRun(r: NabBenchResult, workers: number): string {
  const scores = BOARD_PROFILES.map((p) => `${p} ${r.scores[p]?.toFixed(2) ?? '-'}`).join(', ');
  const m = r.ranking.mean;
  const lines = [
    `${r.detector} (${r.mode}): ${scores}`,
    `  ${fmt(r.points)} points in ${r.seconds.toFixed(2)} s on ${workers} worker(s): ${fmt(r.pointsPerSec)} points/s; ` +
      `kernel ${fmt(r.kernelPointsPerSec)} points/s on 1 thread; state ${fmt(r.stateBytesPerSeries)} bytes/series`,
    `  point-wise, mean of ${m.series} series (labels: ${r.ranking.labels}): ROC-AUC ${measure(m.rocAuc)}, ` +
      `AUC-PR ${measure(m.aucPr)}, VUS-PR ${measure(m.vusPr)}`,
    alarmLine(r.alarms),
  ];
  if (r.ucr !== undefined) {
    const u = r.ucr;
    lines.push(
      `  UCR top-1 (highest score of each test part within ±${u.tolerance} of the anomaly): ` +
        `${u.solved}/${u.series} solved (${(100 * u.fraction).toFixed(1)} %)`,
      ...u.perFile.map(
        (p) =>
          `    ${p.solved ? 'solved' : 'missed'}  ${p.file}  top at ${p.location}` +
          `${p.ties > 1 ? ` (${p.ties} tied)` : ''}, anomaly ${p.begin}–${p.end}`,
      ),
    );
  }
  return lines.join('\n');
}

function alarmLine(a: AlarmRate): string {
  const perDay = Number.isNaN(a.outsidePerSeriesDay) ? '-' : a.outsidePerSeriesDay.toFixed(3);
  return (
    `  at its production threshold ${a.threshold}: ${fmt(a.flagged)} points flagged, ${fmt(a.outside)} outside ` +
    `label windows (${perDay} per series-day over ${fmt(a.seriesDays)} series-days), ${a.windowsHit}/${a.windows} windows hit`
  );
}

/** True when the corpus is NAB v1.1 whole, the corpus the published scores are for. */
export function isWholeNab(corpus: NabCorpus): boolean {
  const points = corpus.files.reduce((n, f) => n + f.length, 0);
  return corpus.files.length === NAB_FILES && points === NAB_POINTS && !corpus.hasRanges;
}

/** Ours ranked by the standard profile, among the published leaders when the corpus is NAB. */
export function scoreboard(corpus: NabCorpus, ours: readonly NabBenchResult[]): string {
  const nab = isWholeNab(corpus);
  const rows: { name: string; values: (number | undefined)[]; mine: boolean }[] = [
    ...(nab ? PUBLISHED.map(([name, ...values]) => ({ name, values, mine: false })) : []),
    ...ours.map((r) => ({
      name: `${r.detector} (Vigil, ${r.mode} mode)`,
      values: BOARD_PROFILES.map((p) => r.scores[p]),
      mine: true,
    })),
  ].sort((a, b) => (b.values[0] ?? Number.NEGATIVE_INFINITY) - (a.values[0] ?? Number.NEGATIVE_INFINITY));
  const points = corpus.files.reduce((n, f) => n + f.length, 0);
  const width = Math.max(...rows.map((r) => r.name.length)) + 2;
  const cell = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(1)).padStart(9);
  const lines = [
    `\nNAB scoreboard: ${corpus.files.length} files, ${fmt(points)} points; perfect 100, null 0` +
      (nab ? '' : ' (published NAB entries not shown: this corpus is not NAB v1.1 whole)'),
    `${''.padEnd(width + 2)}${['standard', 'low FP', 'low FN'].map((h) => h.padStart(9)).join('')}`,
    ...rows.map((r) => `${r.mine ? '* ' : '  '}${r.name.padEnd(width)}${r.values.map(cell).join('')}`),
    ...rankingTable(ours, width),
  ];
  return `${lines.join('\n')}\n`;
}

/** Threshold-free ranking measures of our runs (means of series), with UCR top-1 when measured. */
function rankingTable(ours: readonly NabBenchResult[], boardWidth: number): string[] {
  if (ours.length === 0) return [];
  const ceilingName = 'ceiling: a perfect causal detector';
  const width = Math.max(boardWidth, ceilingName.length + 1);
  const ucr = ours.some((r) => r.ucr !== undefined);
  const heads = ['ROC-AUC', 'AUC-PR', 'VUS-PR', ...(ucr ? ['UCR top-1'] : [])];
  const ceiling = ours[0]!.ranking.ceiling;
  return [
    `\nRanking (point-wise, mean of series; labels: ${ours[0]!.ranking.labels})`,
    `${''.padEnd(width + 2)}${heads.map((h) => h.padStart(11)).join('')}`,
    ...ours.map((r) => {
      const m = r.ranking.mean;
      const cells = [m.rocAuc, m.aucPr, m.vusPr].map((x) => measure(x).padStart(11));
      if (ucr) cells.push((r.ucr === undefined ? '-' : `${r.ucr.solved}/${r.ucr.series}`).padStart(11));
      return `* ${`${r.detector} (Vigil, ${r.mode} mode)`.padEnd(width)}${cells.join('')}`;
    }),
    `  ${ceilingName.padEnd(width)}${[ceiling.rocAuc, ceiling.aucPr, ceiling.vusPr]
      .map((x) => measure(x).padStart(11))
      .join('')}`,
  ];
}
