/** Objectives: NAB-style on feedback labels (windows, early detection, relabelled false alarms), alert rate without. */
import { describe, expect, it } from 'vitest';
import type {
  DetectedRun,
  SeriesBacktest,
  TrainingLabel,
  TrainingSeries,
} from '../../../../src/core/models/backtest.ts';
import { evaluate, labelSet, objectiveOf } from '../../../../src/core/models/objective.ts';

const MIN = 60_000;
const DAY = 86_400_000;

/** A series of n points one minute apart from t=0. */
function series(n: number, labels: TrainingLabel[] = [], key = 's'): TrainingSeries {
  return {
    key,
    ts: Float64Array.from({ length: n }, (_, i) => i * MIN),
    values: new Float64Array(n),
    labels,
  };
}
const run = (row: number): DetectedRun => ({
  start: row * MIN,
  end: row * MIN,
  startRow: row,
  endRow: row,
  peakScore: 1,
});
const bt = (...rows: number[]): SeriesBacktest => ({ runs: rows.map(run), scored: 0 });

describe('feedback-nab', () => {
  const s = series(2000, [{ label: 'anomaly', start: 1500 * MIN, end: 1510 * MIN }]);
  const labels = labelSet([s]);
  const opts = { targetAlertsPerDay: 1 };

  it("applies when there is an anomaly label, with a window by NAB's rule around the labelled run", () => {
    expect(objectiveOf(labels)).toBe('feedback-nab');
    // 10 % of 2000 points for one label: 100 rows each side of the run.
    expect(labels.windows[0]).toEqual([{ start: 1400, end: 1610 }]);
    expect(labels.probation[0]).toBe(300);
  });

  it('rewards the earliest detection in the window most, and 100 is a detection at its first row', () => {
    const first = evaluate('feedback-nab', [s], labels, [bt(1400)], opts);
    const late = evaluate('feedback-nab', [s], labels, [bt(1600)], opts);
    const none = evaluate('feedback-nab', [s], labels, [bt()], opts);
    expect(first.score).toBeCloseTo(100, 6);
    expect(late.score).toBeLessThan(first.score);
    expect(late.score).toBeGreaterThan(none.score);
    expect(first.metrics).toMatchObject({ recall: 1, precision: 1, label_windows: 1 });
    expect(none.metrics.recall).toBe(0);
  });

  it('costs false alarms, ignores the probationary period, and charges a relabelled false alarm twice', () => {
    const fp = evaluate('feedback-nab', [s], labels, [bt(1400, 800)], opts);
    const probation = evaluate('feedback-nab', [s], labels, [bt(1400, 100)], opts);
    expect(fp.score).toBeLessThan(100);
    expect(probation.score).toBeCloseTo(100, 6);
    const withNo = series(2000, [...s.labels, { label: 'not_anomaly', start: 790 * MIN, end: 810 * MIN }]);
    const l2 = labelSet([withNo]);
    const relabelled = evaluate('feedback-nab', [withNo], l2, [bt(1400, 800)], opts);
    expect(relabelled.metrics.false_alarms_relabelled).toBe(1);
    expect(relabelled.metrics.nab_raw).toBeCloseTo(fp.metrics.nab_raw! - 0.11, 9);
  });

  it('leaves series without labels out of the NAB score, and counts labels outside the history', () => {
    const other = series(2000, [], 'other');
    const outside = series(2000, [{ label: 'anomaly', start: 10 * DAY, end: 10 * DAY }], 'outside');
    const l = labelSet([s, other, outside]);
    expect(l.outside).toBe(1);
    const r = evaluate('feedback-nab', [s, other, outside], l, [bt(1400), bt(500, 900), bt()], opts);
    expect(r.score).toBeCloseTo(100, 6);
    expect(r.metrics.anomalies).toBe(3);
  });
});

describe('alert-rate', () => {
  // 3 days of minutes: 4320 points, probation 648 rows.
  const s = series(4320);
  const labels = labelSet([s]);
  const days = (4319 - 648) / 1440;

  it('applies without anomaly labels (normal labels alone do not make a ground truth)', () => {
    expect(objectiveOf(labels)).toBe('alert-rate');
    const onlyNo = labelSet([series(4320, [{ label: 'not_anomaly', start: 1000 * MIN, end: 1000 * MIN }])]);
    expect(objectiveOf(onlyNo)).toBe('alert-rate');
  });

  it('is 100 on the target rate and falls both ways', () => {
    const rows = (k: number) => Array.from({ length: k }, (_, i) => 700 + i * 10);
    const on = evaluate('alert-rate', [s], labels, [bt(...rows(Math.round(days)))], {
      targetAlertsPerDay: Math.round(days) / days,
    });
    expect(on.score).toBeCloseTo(100, 6);
    const silent = evaluate('alert-rate', [s], labels, [bt()], { targetAlertsPerDay: 1 });
    expect(silent.score).toBeCloseTo(20, 6);
    const noisy = evaluate('alert-rate', [s], labels, [bt(...rows(40))], { targetAlertsPerDay: 1 });
    expect(noisy.score).toBeLessThan(20);
    expect(noisy.metrics.alerts_per_series_day).toBeCloseTo(40 / days, 9);
    // Runs in the probationary period do not count.
    expect(
      evaluate('alert-rate', [s], labels, [bt(10, 20, 30)], { targetAlertsPerDay: 1 }).metrics.anomalies,
    ).toBe(0);
  });
});
