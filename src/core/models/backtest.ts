/**
 * The backtest of one candidate pipeline: the series' stored points fed, in time order, through a
 * scoring engine built for that pipeline, and the anomaly runs it raises collected. The engine is
 * injected (layers: core cannot import engine): `vigil train` hands in the live `Engine`
 * (src/engine/engine.ts) with the candidate as its default pipeline, so a backtest scores every
 * point exactly as live scoring would (score-then-learn, anomaly runs, duplicate rules). Pure.
 *
 * What is not replayed: feedback labels are never handed to the pipeline here (they are what the
 * objective judges it by; a `feedback` stage would otherwise be told the answers), and per-series
 * configs (resampling) are not applied: a model's pipeline is trained on the raw points.
 */
import type { Anomaly } from '../anomaly.ts';
import type { FeedbackLabel } from '../feedback/label.ts';
import type { ScoredPoint } from '../point.ts';

/** A feedback label on a stored anomaly, as training reads it: the labelled run's span. */
export interface TrainingLabel {
  label: FeedbackLabel;
  /** The labelled anomaly's first and last point (epoch ms); equal when its end is unknown. */
  start: number;
  end: number;
}

/** One series' history: points sorted by time, distinct timestamps, and its feedback labels. */
export interface TrainingSeries {
  /** Canonical series key, `cpu{host="a"}`. */
  key: string;
  ts: Float64Array;
  values: Float64Array;
  labels: readonly TrainingLabel[];
}

/** An anomaly run the candidate raised, with the rows (0-based point indices) it spans. */
export interface DetectedRun {
  start: number;
  end: number;
  startRow: number;
  endRow: number;
  peakScore: number;
}

export interface SeriesBacktest {
  /** Runs in start order; the last may still be open at the end of the history. */
  runs: DetectedRun[];
  /** Points the engine scored (a duplicate timestamp is rejected, as live). */
  scored: number;
}

/** What the engine emits to (structurally the engine's EngineOutput). */
export interface BacktestOutput {
  point(seriesId: number, p: ScoredPoint, late: boolean): void;
  anomaly(a: Anomaly): void;
  rejected(reason: string, seriesId: number, ts: number): void;
}

/** The slice of the streaming engine a backtest drives; the engine's default pipeline is the candidate's. */
export interface ScoringEngine {
  process(seriesId: number, ts: number, value: number, out: BacktestOutput): void;
  /** Frees a series' state once its history is through (optional). */
  deleteSeries?(ids: Iterable<number>): void;
}

/**
 * Runs every series through `engine` (series i is engine series id `i`), one series after the
 * other: series are independent, and at most one series' state is alive at a time.
 */
export function backtest(engine: ScoringEngine, series: readonly TrainingSeries[]): SeriesBacktest[] {
  return series.map((s, id) => {
    const runs: DetectedRun[] = [];
    let row = -1;
    let scored = 0;
    let open: DetectedRun | undefined;
    const out: BacktestOutput = {
      point() {
        scored++;
      },
      anomaly(a) {
        if (open === undefined || open.start !== a.start) {
          open = { start: a.start, end: a.end, startRow: row, endRow: row, peakScore: a.peakScore };
          runs.push(open);
        } else {
          if (a.end !== open.end) open.endRow = row;
          open.end = a.end;
          open.peakScore = a.peakScore;
        }
        if (!a.open) open = undefined;
      },
      rejected() {},
    };
    const { ts, values } = s;
    for (let i = 0; i < ts.length; i++) {
      row = i;
      engine.process(id, ts[i]!, values[i]!, out);
    }
    engine.deleteSeries?.([id]);
    return { runs, scored };
  });
}

/** Total points of `series`. */
export function pointsOf(series: readonly TrainingSeries[]): number {
  let n = 0;
  for (const s of series) n += s.ts.length;
  return n;
}
