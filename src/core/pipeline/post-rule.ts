/**
 * The post-rule stage: rules applied in order to a point after the threshold, e.g. guardrails
 * that keep only anomalies in one direction, far enough from the expected value, or lasting long
 * enough. A rule may lower the score or clear `anomalous`, never raise either, so every rule is a
 * filter. Score-then-learn: `score` MUST NOT change state; `step` returns what `score` would and
 * then learns the point.
 */
import type { FeedbackExample } from '../feedback/label.ts';
import type { ScoredPoint } from '../point.ts';
import type { StageKind, StageState } from './stage.ts';

export interface PostRule {
  score(p: ScoredPoint): ScoredPoint;
  step(p: ScoredPoint): ScoredPoint;
  snapshot(): StageState;
  /**
   * Rules that learn from feedback: replaces the labels of the series the rule learns from with
   * `examples` (all of them, oldest first). Idempotent, so the same set may be sent again after a
   * restart; a label missing from the set is forgotten (undo).
   */
  feedback?(examples: readonly FeedbackExample[]): void;
}

export type PostRuleKind<P = Record<string, unknown>> = StageKind<P, PostRule>;

/** A rule without state: `judge` is both its score and its step. */
export function statelessRule(name: string, judge: (p: ScoredPoint) => ScoredPoint): PostRule {
  const state: StageState = { stage: name, version: 1, data: null };
  return { score: judge, step: judge, snapshot: () => state };
}

/** `p` with `anomalous` cleared (the same object when it already is). */
export function cleared(p: ScoredPoint): ScoredPoint {
  return p.anomalous ? { ...p, anomalous: false } : p;
}
