/**
 * What a training maximises: how good a candidate's backtest is, as one number (higher is better),
 * plus the figures logged beside it. Two objectives, chosen by the data:
 *
 * - `feedback-nab`, when the selected series carry at least one `anomaly` label that can be scored:
 *   NAB's scoring (core/bench/nab, standard profile) on the series that have labels. Each
 *   `anomaly` label is a window around the labelled run, sized by NAB's rule (10 % of the series'
 *   points shared among its anomaly labels, half before the run's start and half after its end);
 *   a detection is the first point of a run the candidate raises, rewarded the more the earlier it
 *   is in a window; any other detection costs NAB's false-positive weight, and one that falls on a
 *   run labelled `not_anomaly` or `expected` costs that weight once more (the operator already
 *   said no). Normalised as NAB does: 0 = the null detector, 100 = the first row of every window.
 *   Series without labels do not count (nobody said what is normal there).
 * - `alert-rate`, without such labels: there is no ground truth, so the objective is the one thing
 *   an operator can state, an alert budget: how close each series' rate of raised runs comes to a
 *   target per series-day, as min(r, t)+ε over max(r, t)+ε (ε = t/4), averaged over series, ×100.
 *   100 is on target; flagging nothing scores 20, as does 4.75× the target. It rewards a
 *   quiet-but-not-silent pipeline; it cannot tell a right alarm from a wrong one.
 *
 * Both ignore NAB's probationary period of each series (the first min(15 %, 750) points), where
 * a pipeline started from nothing is still learning. Pure.
 */

import { scoreFile } from '../bench/nab/file-score.ts';
import type { NabFile } from '../bench/nab/nab-file.ts';
import { normaliseScore, scoreRange } from '../bench/nab/normalise.ts';
import { probationaryLength } from '../bench/nab/probation.ts';
import { NAB_PROFILES, type NabProfile } from '../bench/nab/profile.ts';
import { type LabelWindow, WINDOW_FRACTION } from '../bench/nab/window.ts';
import { type FeedbackLabel, isNormal } from '../feedback/label.ts';
import type { SeriesBacktest, TrainingSeries } from './backtest.ts';

export type ObjectiveKind = 'feedback-nab' | 'alert-rate';

export interface ObjectiveOptions {
  /** The alert-rate objective's target: raised runs per series per day. */
  targetAlertsPerDay: number;
  /** The NAB profile of the feedback objective; default `standard`. */
  profile?: NabProfile;
}

export const DEFAULT_TARGET_ALERTS_PER_DAY = 1;
const DAY_MS = 86_400_000;

/** A candidate's value under the objective, and its figures (logged as tracking metrics). */
export interface ObjectiveResult {
  objective: ObjectiveKind;
  score: number;
  metrics: Record<string, number>;
}

/** The labels of the series as the feedback objective scores them (computed once per training). */
export interface LabelSet {
  /** Per series: its label windows (rows, sorted, disjoint, past probation) or undefined without labels. */
  windows: (LabelWindow[] | undefined)[];
  /** Per series: rows of runs labelled normal (`not_anomaly`, `expected`), inclusive ranges. */
  normal: LabelWindow[][];
  probation: number[];
  /** Labels inside the series' history, and those outside it (not scored). */
  used: number;
  outside: number;
  /** Whether the feedback objective applies: at least one scorable window. */
  scorable: boolean;
}

/** First row with ts ≥ t (ts.length when none). */
function rowAtOrAfter(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The label windows and normal spans of every series, by NAB's window rule. */
export function labelSet(series: readonly TrainingSeries[]): LabelSet {
  let used = 0;
  let outside = 0;
  let scorable = false;
  const windows: (LabelWindow[] | undefined)[] = [];
  const normal: LabelWindow[][] = [];
  const probation: number[] = [];
  for (const s of series) {
    const n = s.ts.length;
    const p = probationaryLength(n);
    probation.push(p);
    const spans: { label: FeedbackLabel; start: number; end: number }[] = [];
    for (const l of s.labels) {
      const start = rowAtOrAfter(s.ts, l.start);
      const end = rowAtOrAfter(s.ts, l.end + 1) - 1;
      if (n === 0 || start >= n || end < start) {
        outside++;
        continue;
      }
      used++;
      spans.push({ label: l.label, start, end });
    }
    normal.push(spans.filter((x) => isNormal(x.label)).map(({ start, end }) => ({ start, end })));
    const confirmed = spans.filter((x) => !isNormal(x.label)).sort((a, b) => a.start - b.start);
    if (spans.length === 0) {
      windows.push(undefined);
      continue;
    }
    const half =
      confirmed.length === 0 ? 0 : Math.floor(Math.trunc((WINDOW_FRACTION * n) / confirmed.length) / 2);
    const merged: LabelWindow[] = [];
    for (const c of confirmed) {
      const w = { start: Math.max(0, c.start - half), end: Math.min(n - 1, c.end + half) };
      if (w.end < p) continue;
      const last = merged.at(-1);
      if (last !== undefined && w.start <= last.end)
        merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, w.end) };
      else merged.push(w);
    }
    if (merged.length > 0) scorable = true;
    windows.push(merged);
  }
  return { windows, normal, probation, used, outside, scorable };
}

/** Which objective a training uses: `feedback-nab` when some label window can be scored. */
export function objectiveOf(labels: LabelSet): ObjectiveKind {
  return labels.scorable ? 'feedback-nab' : 'alert-rate';
}

/** A candidate's backtest (`results[i]` of `series[i]`) under `kind`. */
export function evaluate(
  kind: ObjectiveKind,
  series: readonly TrainingSeries[],
  labels: LabelSet,
  results: readonly SeriesBacktest[],
  opts: ObjectiveOptions,
): ObjectiveResult {
  const rate = alertRate(series, labels, results, opts.targetAlertsPerDay);
  const metrics: Record<string, number> = {
    alert_rate_score: rate.score,
    anomalies: rate.runs,
    alerts_per_series_day: rate.perDay,
  };
  if (!labels.scorable) return { objective: kind, score: rate.score, metrics };
  const nab = feedbackNab(series, labels, results, opts.profile ?? NAB_PROFILES[0]!);
  Object.assign(metrics, {
    nab_score: nab.score,
    nab_raw: nab.raw,
    precision: nab.precision,
    recall: nab.recall,
    label_windows: nab.windows,
    false_alarms_relabelled: nab.relabelled,
  });
  return { objective: kind, score: kind === 'feedback-nab' ? nab.score : rate.score, metrics };
}

interface NabResult {
  score: number;
  raw: number;
  precision: number;
  recall: number;
  windows: number;
  relabelled: number;
}

function feedbackNab(
  series: readonly TrainingSeries[],
  labels: LabelSet,
  results: readonly SeriesBacktest[],
  profile: NabProfile,
): NabResult {
  const files: NabFile[] = [];
  let raw = 0;
  let detections = 0;
  let inWindow = 0;
  let windowsHit = 0;
  let windowCount = 0;
  let relabelled = 0;
  series.forEach((s, i) => {
    const windows = labels.windows[i];
    if (windows === undefined) return;
    const file: NabFile = { name: s.key, length: s.ts.length, windows };
    files.push(file);
    const p = labels.probation[i]!;
    const marks = new Float64Array(s.ts.length);
    const hit = new Set<number>();
    for (const r of results[i]!.runs) {
      if (r.startRow < p) continue;
      marks[r.startRow] = 1;
      detections++;
      const w = windows.findIndex((x) => x.start <= r.startRow && r.startRow <= x.end);
      if (w >= 0) {
        inWindow++;
        hit.add(w);
      } else if (labels.normal[i]!.some((x) => x.start <= r.startRow && r.startRow <= x.end)) {
        relabelled++;
        raw -= profile.fpWeight;
      }
    }
    windowsHit += hit.size;
    windowCount += windows.length;
    raw += scoreFile(file, marks, profile, 1).score;
  });
  const range = scoreRange(files, profile);
  return {
    score: normaliseScore(raw, range),
    raw,
    precision: detections === 0 ? 0 : inWindow / detections,
    recall: windowCount === 0 ? 0 : windowsHit / windowCount,
    windows: windowCount,
    relabelled,
  };
}

function alertRate(
  series: readonly TrainingSeries[],
  labels: LabelSet,
  results: readonly SeriesBacktest[],
  target: number,
): { score: number; runs: number; perDay: number } {
  const eps = target / 4;
  let sum = 0;
  let counted = 0;
  let runs = 0;
  let days = 0;
  series.forEach((s, i) => {
    const p = labels.probation[i]!;
    const n = s.ts.length;
    const r = results[i]!.runs.filter((x) => x.startRow >= p).length;
    runs += r;
    if (n < 2 || p >= n - 1) return;
    const d = (s.ts[n - 1]! - s.ts[p]!) / DAY_MS;
    if (!(d > 0)) return;
    days += d;
    const rate = r / d;
    sum += (Math.min(rate, target) + eps) / (Math.max(rate, target) + eps);
    counted++;
  });
  return { score: counted === 0 ? 0 : (100 * sum) / counted, runs, perDay: days === 0 ? 0 : runs / days };
}
