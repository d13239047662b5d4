/**
 * `feedback`: per-series suppression learned from people's labels (core/feedback/label.ts). A
 * label `not_anomaly` or `expected` on an anomaly says "this series may go this far": for the
 * next `memory` points, a point on the same side of its expected value that goes no farther
 * than that labelled peak (its value plus `margin` of the peak's deviation) has its score
 * multiplied by `damping` and kept under the threshold, so it is not flagged (the damped score
 * keeps its rank for a lower threshold). A deviation beyond every such peak still alarms. A label `anomaly` confirms: a point whose value is nearer a confirmed
 * peak than any normal-labelled one (same side) is not suppressed.
 *
 * Chosen by measurement (bench/README.md, "Feedback"): of the mechanisms tried that keep a
 * label's promise, this one (a value envelope with a memory) changed NAB's scores least for the
 * worse; a suppression that never expires cost NAB points, because true anomalies there often
 * look like earlier false alarms.
 *
 * The state is the labels themselves (the last `maxExamples`, each with the point count at which
 * it was learnt) and the point count, so the learned suppression is visible in the pipeline's
 * snapshot and forgetting a label undoes exactly its effect. Labels change only through
 * `feedback`; `score` does not learn, `step` counts the point.
 */
import Type from 'typebox';
import { type FeedbackExample, isNormal } from '../../feedback/label.ts';
import type { ScoredPoint } from '../../point.ts';
import type { PostRule, PostRuleKind } from '../post-rule.ts';
import type { StageContext, StageState } from '../stage.ts';

export interface FeedbackParams {
  margin: number;
  damping: number;
  memory: number;
  maxExamples: number;
}

/** A label as held and snapshotted: JSON has no NaN, so a missing expected value is null. */
export interface LearntExample extends Omit<FeedbackExample, 'peakExpected'> {
  peakExpected: number | null;
  /** Points the stage had stepped when it learnt the label. */
  learntAt: number;
}

export interface FeedbackData {
  /** Points stepped so far. */
  seen: number;
  examples: LearntExample[];
}

/** One labelled peak: its level on its side (value up, −value down) and the slack around it. */
interface Mark {
  level: number;
  slack: number;
  normal: boolean;
  learntAt: number;
}

/** The labels and marks of a stage without labels: shared, never written (they are replaced). */
const NO_EXAMPLES: LearntExample[] = [];
const NO_MARKS: Mark[] = [];

class FeedbackRule implements PostRule {
  readonly #p: FeedbackParams;
  /** Kept, not its threshold copied: shared by the pipeline's series (see StageContext). */
  readonly #ctx: StageContext;
  #seen: number;
  #examples: LearntExample[];
  #up: Mark[] = [];
  #down: Mark[] = [];

  constructor(p: FeedbackParams, ctx: StageContext, data: FeedbackData) {
    this.#p = p;
    this.#ctx = ctx;
    this.#seen = data.seen;
    this.#examples = data.examples.length === 0 ? NO_EXAMPLES : data.examples.slice(-p.maxExamples);
    this.#mark();
  }

  feedback(examples: readonly FeedbackExample[]): void {
    const known = new Map(this.#examples.map((e) => [e.id, e.learntAt]));
    this.#examples = examples.slice(-this.#p.maxExamples).map((e) => ({
      id: e.id,
      label: e.label,
      start: e.start,
      peakValue: e.peakValue,
      peakExpected: Number.isNaN(e.peakExpected) ? null : e.peakExpected,
      peakScore: e.peakScore,
      learntAt: known.get(e.id) ?? this.#seen,
    }));
    this.#mark();
  }

  score(p: ScoredPoint): ScoredPoint {
    if (this.#examples.length === 0 || p.score === 0) return p;
    const up = deviation(p.value, p.expected) >= 0;
    if (!this.#suppresses(up ? this.#up : this.#down, up ? p.value : -p.value)) return p;
    const threshold = this.#ctx.threshold;
    const score = Math.min(p.score * this.#p.damping, below(threshold));
    return { ...p, score, anomalous: p.anomalous && score >= threshold };
  }

  step(p: ScoredPoint): ScoredPoint {
    const out = this.score(p);
    this.#seen++;
    return out;
  }

  snapshot(): StageState {
    const data: FeedbackData = { seen: this.#seen, examples: this.#examples.map((e) => ({ ...e })) };
    return { stage: 'feedback', version: 1, data };
  }

  #mark(): void {
    // Most series have no labels: they share the empty arrays (issue 19, bytes per series).
    if (this.#examples.length === 0) {
      this.#up = NO_MARKS;
      this.#down = NO_MARKS;
      return;
    }
    this.#up = [];
    this.#down = [];
    for (const e of this.#examples) {
      const d = deviation(e.peakValue, e.peakExpected ?? Number.NaN);
      const up = d >= 0;
      (up ? this.#up : this.#down).push({
        level: up ? e.peakValue : -e.peakValue,
        slack: Math.abs(d) * this.#p.margin,
        normal: isNormal(e.label),
        learntAt: e.learntAt,
      });
    }
  }

  #suppresses(marks: readonly Mark[], level: number): boolean {
    let covered = false;
    let normal = Number.POSITIVE_INFINITY;
    let confirmed = Number.POSITIVE_INFINITY;
    for (const m of marks) {
      if (this.#p.memory > 0 && this.#seen - m.learntAt > this.#p.memory) continue;
      const gap = Math.abs(level - m.level);
      if (m.normal) {
        if (level <= m.level + m.slack) covered = true;
        normal = Math.min(normal, gap);
      } else {
        confirmed = Math.min(confirmed, gap);
      }
    }
    return covered && normal < confirmed;
  }
}

/** The largest score under `threshold`: a suppressed point is never flagged, however it scored. */
function below(threshold: number): number {
  return Math.max(0, threshold - 1e-9);
}

/** Signed distance from the expected value; the value itself where there is none. */
function deviation(value: number, expected: number): number {
  return Number.isNaN(expected) ? value : value - expected;
}

export const feedbackRule: PostRuleKind<FeedbackParams> = {
  name: 'feedback',
  version: 1,
  description:
    'Learns from labels: a point no farther out than a peak labelled not_anomaly/expected (same side) is damped, unless nearer a confirmed anomaly.',
  params: Type.Object(
    {
      margin: Type.Number({
        minimum: 0,
        default: 0.1,
        description: "slack beyond a normal-labelled peak's value, as a fraction of its deviation",
      }),
      damping: Type.Number({
        minimum: 0,
        maximum: 1,
        default: 0.5,
        description: 'factor on the score of a suppressed point (which stays under the threshold)',
      }),
      memory: Type.Integer({
        minimum: 0,
        default: 600,
        description: 'points a label keeps suppressing after it is learnt; 0: for ever',
      }),
      maxExamples: Type.Integer({
        minimum: 0,
        maximum: 64,
        default: 32,
        description: 'labels kept per series, newest last (0: the stage ignores feedback)',
      }),
    },
    { additionalProperties: false },
  ),
  defaults: { margin: 0.1, damping: 0.5, memory: 600, maxExamples: 32 },
  maxStateBytes: 16384,
  create(params, ctx, state) {
    const data = (state?.data as FeedbackData | null | undefined) ?? { seen: 0, examples: [] };
    return new FeedbackRule(params, ctx, data);
  },
};
