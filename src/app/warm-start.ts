/**
 * Warm start: a series that just got a new pipeline (a per-series config change, a new model
 * version) is primed from its newest stored points, so it does not sit out a probation period
 * again (`models.warmStartPoints`). For each series: where its primable history ends
 * (Engine.primeBefore: before the first point the new pipeline learnt live, so a point scored
 * since the change is never learnt twice), up to `maxPoints` of the stored points older than
 * that, then `prime` (Engine.prime), which runs between two log entries and emits nothing.
 * Runs where the series' task lives (an engine thread, a detector), after the change was applied.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ScoredPoint } from '../core/point.ts';

export interface WarmStartDeps {
  /** Stored scored points of a series with from ≤ ts < to, by time (stored and not yet stored). */
  range(seriesId: number, from: number, to: number): Promise<ScoredPoint[]>;
  /** Where the series' primable history ends now; null: it cannot be primed (see Engine.primeBefore). */
  primeBefore(seriesId: number): number | null;
  /** Primes the series (Engine.prime); MUST be called once per series, with no points where none were read. */
  prime(seriesId: number, points: readonly { ts: number; value: number }[]): number;
  /** Points primed per series at most (`models.warmStartPoints`); 0: every series is let go unprimed. */
  maxPoints: number;
}

export interface WarmStartResult {
  /** Series that got at least one point. */
  series: number;
  points: number;
  /** Series whose history could not be read: let go unprimed, with the first error. */
  failed: number;
  error?: unknown;
}

/** Adds `part`'s counts to `sum`, keeping the first error: the total over tasks or engine threads. */
export function addWarmStart<T extends WarmStartResult>(sum: T, part: T): void {
  sum.series += part.series;
  sum.points += part.points;
  sum.failed += part.failed;
  if (part.error !== undefined) sum.error ??= part.error;
}

/** A task's history for the warm start: its stored points and those not yet stored, by time. */
export async function withUnflushed(
  stored: Promise<ScoredPoint[]>,
  unflushed: readonly ScoredPoint[],
): Promise<ScoredPoint[]> {
  const all = (await stored).concat(unflushed);
  all.sort((a, b) => a.ts - b.ts);
  return all;
}

/**
 * The newest history is read in windows reaching further back each time (a day, then 16, then
 * 256, then everything), so a dense series is not read whole to find its last points.
 */
const FIRST_WINDOW_MS = 86_400_000;
const WINDOW_GROWTH = 16;
const WINDOWS = 3;

export async function warmStart(seriesIds: Iterable<number>, deps: WarmStartDeps): Promise<WarmStartResult> {
  const result: WarmStartResult = { series: 0, points: 0, failed: 0 };
  for (const sid of seriesIds) {
    let history: ScoredPoint[] = [];
    try {
      history = deps.maxPoints > 0 ? await newest(sid, deps) : [];
    } catch (err) {
      result.failed++;
      result.error ??= err;
    }
    // Primed in the turn the read ended in, after the entries processed meanwhile: the engine
    // keeps what the new pipeline learnt since and puts the history before it.
    const n = deps.prime(sid, history);
    if (n > 0) {
      result.series++;
      result.points += n;
    }
  }
  return result;
}

/** Up to `maxPoints` of the newest stored points before the series' primable end, oldest first. */
async function newest(sid: number, deps: WarmStartDeps): Promise<ScoredPoint[]> {
  const to = deps.primeBefore(sid);
  if (to === null) return [];
  let points: ScoredPoint[] = [];
  if (Number.isFinite(to)) {
    let span = FIRST_WINDOW_MS;
    for (let i = 0; i < WINDOWS; i++, span *= WINDOW_GROWTH) {
      points = await deps.range(sid, to - span, to);
      if (points.length >= deps.maxPoints) return points.slice(-deps.maxPoints);
    }
  }
  points = await deps.range(sid, Number.NEGATIVE_INFINITY, to);
  return points.length > deps.maxPoints ? points.slice(-deps.maxPoints) : points;
}

/** The logger slice `warmStartLogged` writes to (pino's). */
export interface WarmStartLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** What gave the series a new pipeline (the log's `why`). */
export type WarmStartWhy = 'model version' | 'series config' | 'pipeline changed since the last run';

/** The `reason` label of each `why`. */
const REASON: Record<WarmStartWhy, string> = {
  'model version': 'model_version',
  'series config': 'series_config',
  'pipeline changed since the last run': 'restart',
};

/** Warm start metrics (docs/metrics.md), registered once per process's registry. */
export interface WarmStartMetrics {
  series: Counter<'reason'>;
  points: Counter<'reason'>;
  pending: Gauge;
}

export function warmStartMetrics(registry: Registry): WarmStartMetrics {
  return {
    series: new Counter({
      name: 'vigil_warm_start_series_total',
      help: 'Series primed from their stored history after getting a new pipeline, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    points: new Counter({
      name: 'vigil_warm_start_points_total',
      help: 'Stored points primed into new pipelines, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'vigil_warm_start_pending_series',
      help: 'Series whose warm start is running (scored meanwhile by their fresh pipeline).',
      registers: [registry],
    }),
  };
}

/**
 * Runs a warm start of `seriesIds` (`run`: where their tasks live, e.g. EngineThread.warmStart)
 * between two log lines, `why` naming what gave them a new pipeline. Never rejects: a series not
 * primed starts cold, which the log says.
 */
export async function warmStartLogged(
  seriesIds: readonly number[],
  why: WarmStartWhy,
  run: (
    ids: readonly number[],
  ) => Promise<{ series: number; points: number; failed: number; error?: unknown }>,
  log: WarmStartLog,
  metrics?: WarmStartMetrics,
): Promise<void> {
  if (seriesIds.length === 0) return;
  log.info({ series: seriesIds.length, why }, 'warm start: priming new pipelines from stored history');
  const started = performance.now();
  metrics?.pending.inc(seriesIds.length);
  try {
    const r = await run(seriesIds);
    const ms = Math.round(performance.now() - started);
    metrics?.series.inc({ reason: REASON[why] }, r.series);
    metrics?.points.inc({ reason: REASON[why] }, r.points);
    log.info({ primed: r.series, points: r.points, failed: r.failed, ms, why }, 'warm start done');
    if (r.failed > 0) log.warn({ failed: r.failed, err: r.error, why }, 'warm start: some series start cold');
  } catch (err) {
    log.warn({ err, why }, 'warm start failed; the series start cold');
  } finally {
    metrics?.pending.dec(seriesIds.length);
  }
}
