/**
 * What `vigil bench cardinality` computes from its samples and prints: pure functions, no I/O.
 */

/** One reading of the server's resident set while series were added. */
export interface RssSample {
  /** ms since the run's start. */
  t: number;
  /** Series the server had accepted (204) when the sample was taken. */
  series: number;
  rss: number;
}

export interface CardinalityRun {
  name: 'cardinality';
  detector: string;
  /** Series the server accepted, and the rate asked for and achieved. */
  series: number;
  seriesPerSecond: number;
  achievedSeriesPerSecond: number;
  pointsPerSeries: number;
  seconds: number;
  /** Resident set before the first series (median of a few readings), and once every point was scored. */
  idleRssBytes: number;
  endRssBytes: number;
  maxRssBytes: number;
  /** Least-squares slope of the resident set over accepted series during the growth. */
  bytesPerSeriesSlope: number;
  /**
   * The same over the second half of the growth only: what one more series costs once the caches
   * bounded in total (SQLite's page caches, 64 MiB a connection) and the heaps have grown.
   */
  bytesPerSeriesSlopeLastHalf: number;
  /** (end − idle) / series. */
  bytesPerSeriesEnd: number;
  goalBytesPerSeries: number | null;
  /** ms from a sampled series' batch being acknowledged to its first scored point being readable. */
  firstScoreMs: Quantiles;
  /** Requests refused during the growth, by code (none expected without a budget). */
  refused: Record<string, number>;
  /** Points sent that the engine had scored (or rejected) when the run ended. */
  pointsSent: number;
  pointsScored: number;
}

export interface BudgetRun {
  name: 'cardinality-budget';
  detector: string;
  budgetBytes: number;
  /** Series accepted before the first refusal (all of them when none came). */
  acceptedSeries: number;
  /** The first refusal: HTTP status, error code, the series accepted and the resident set then. */
  firstRefusal: { status: number; code: string; atSeries: number; rssBytes: number } | null;
  /** Refusals by code over the whole run (it keeps offering new series for a while after the first). */
  refused: Record<string, number>;
  maxRssBytes: number;
  /** A refusal arrived and the resident set never passed the budget. */
  refusedBeforeBudget: boolean;
  seconds: number;
}

export interface Quantiles {
  samples: number;
  p50: number | null;
  p90: number | null;
  max: number | null;
}

/** Bytes per series each detector is meant to stay under (issue 19). */
export const GOAL_BYTES_PER_SERIES: Readonly<Record<string, number>> = {
  fast: 4 * 1024,
  default: 64 * 1024,
  vigil: 64 * 1024,
};

/** The samples taken while the second half of `total` series were added. */
export function lastHalf(samples: readonly RssSample[], total: number): RssSample[] {
  return samples.filter((x) => x.series >= total / 2);
}

/** The value of a per-detector option for detector `i`: one value for all, or one per detector. */
export function perDetector(name: string, value: string, detectors: number, i: number): number {
  const parts = value.split(',');
  if (parts.length !== 1 && parts.length !== detectors) {
    throw new Error(
      `${name} must be one number or one per detector (${detectors}); got ${JSON.stringify(value)}`,
    );
  }
  const v = parts.length === 1 ? parts[0]! : parts[i]!;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new Error(`${name} must be numbers > 0 (got ${JSON.stringify(value)})`);
  }
  return n;
}

/** Least-squares slope of `y` over `x`; null with fewer than two distinct x. */
export function slope(xs: readonly number[], ys: readonly number[]): number | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    sxy += dx * (ys[i]! - my);
    sxx += dx * dx;
  }
  return sxx === 0 ? null : sxy / sxx;
}

/** Nearest-rank quantiles of `values` (ms), rounded to 0.1. */
export function quantiles(values: readonly number[]): Quantiles {
  if (values.length === 0) return { samples: 0, p50: null, p90: null, max: null };
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! * 10) / 10;
  return { samples: s.length, p50: at(0.5), p90: at(0.9), max: at(1) };
}

/** The median of `values` (the lower middle of an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
}

const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;

/** The table's header and one row per run. */
export function table(runs: readonly CardinalityRun[]): string {
  const head = [
    'detector'.padEnd(9),
    'series'.padStart(8),
    'series/s'.padStart(9),
    'pts'.padStart(4),
    'idle RSS'.padStart(9),
    'end RSS'.padStart(9),
    'B/series slope'.padStart(15),
    '2nd half'.padStart(9),
    'B/series end'.padStart(13),
    'goal'.padStart(8),
    'first score p50/p90/max ms'.padStart(27),
  ].join('  ');
  const rows = runs.map((r) =>
    [
      r.detector.padEnd(9),
      String(r.series).padStart(8),
      String(r.achievedSeriesPerSecond).padStart(9),
      String(r.pointsPerSeries).padStart(4),
      mib(r.idleRssBytes).padStart(9),
      mib(r.endRssBytes).padStart(9),
      kb(r.bytesPerSeriesSlope).padStart(15),
      kb(r.bytesPerSeriesSlopeLastHalf).padStart(9),
      kb(r.bytesPerSeriesEnd).padStart(13),
      (r.goalBytesPerSeries === null ? '-' : kb(r.goalBytesPerSeries)).padStart(8),
      `${r.firstScoreMs.p50 ?? '-'}/${r.firstScoreMs.p90 ?? '-'}/${r.firstScoreMs.max ?? '-'}`.padStart(27),
    ].join('  '),
  );
  return [head, ...rows].join('\n');
}

export function budgetLine(b: BudgetRun): string {
  const first =
    b.firstRefusal === null
      ? 'no refusal'
      : `first refusal ${b.firstRefusal.status} ${b.firstRefusal.code} after ${b.firstRefusal.atSeries} series at RSS ${mib(b.firstRefusal.rssBytes)}`;
  return `budget ${mib(b.budgetBytes)} (${b.detector}): ${first}; max RSS ${mib(b.maxRssBytes)}; refusals ${JSON.stringify(b.refused)} → ${b.refusedBeforeBudget ? 'refused before the budget' : 'NOT refused before the budget'}`;
}

/**
 * One line against the goals: each run's cost per series (the larger of slope and end figures, the
 * conservative one) against its goal.
 */
export function summary(runs: readonly CardinalityRun[]): string {
  const parts = runs.map((r) => {
    const cost = Math.max(r.bytesPerSeriesSlope, r.bytesPerSeriesEnd);
    const figure = `${r.detector} ${kb(cost)}/series (second half ${kb(r.bytesPerSeriesSlopeLastHalf)})`;
    if (r.goalBytesPerSeries === null) return `${figure}, no goal`;
    const verdict = cost <= r.goalBytesPerSeries ? 'meets' : 'misses';
    return `${figure} ${verdict} its goal ≤ ${kb(r.goalBytesPerSeries)}`;
  });
  return `summary (${runs.map((r) => `${r.series} series × ${r.pointsPerSeries} points`).join(', ')}): ${parts.join('; ')}`;
}
