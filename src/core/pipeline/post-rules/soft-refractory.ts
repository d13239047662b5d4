/**
 * `softRefractory`: after a score above `level`, later scores are damped by 1 − e^(−gap/τ)
 * (scoring/soft-refractory.ts), so a detector that keeps firing on one anomaly reports it once. It
 * lowers the score, so a damped point is anomalous only if it still reaches the threshold.
 */
import Type from 'typebox';
import type { ScoredPoint } from '../../point.ts';
import { SoftRefractory } from '../../scoring/soft-refractory.ts';
import type { PostRule, PostRuleKind } from '../post-rule.ts';
import type { StageContext, StageState } from '../stage.ts';

export interface SoftRefractoryParams {
  level: number;
  tau: number;
}

class SoftRefractoryRule implements PostRule {
  readonly #r: SoftRefractory;
  /** Kept, not its threshold copied: shared by the pipeline's series (see StageContext). */
  readonly #ctx: StageContext;

  constructor(r: SoftRefractory, ctx: StageContext) {
    this.#r = r;
    this.#ctx = ctx;
  }

  score(p: ScoredPoint): ScoredPoint {
    const s = this.#r.damp(p.score);
    if (s === p.score) return p;
    const score = s > 0 ? Math.min(s, 1) : 0;
    return { ...p, score, anomalous: p.anomalous && score >= this.#ctx.threshold };
  }

  step(p: ScoredPoint): ScoredPoint {
    const out = this.score(p);
    this.#r.observe(p.score);
    return out;
  }

  snapshot(): StageState {
    return { stage: 'softRefractory', version: 1, data: this.#r.toJSON() };
  }
}

export const softRefractoryRule: PostRuleKind<SoftRefractoryParams> = {
  name: 'softRefractory',
  version: 1,
  description:
    'After a score above `level`, damps later scores by 1 − e^(−gap/tau) (gap in points); tau 0 disables.',
  params: Type.Object(
    {
      level: Type.Number({
        minimum: 0,
        maximum: 1,
        default: 0.5,
        description: 'a score above this starts a refractory period',
      }),
      tau: Type.Number({ minimum: 0, default: 30, description: 'time constant in points; 0 disables' }),
    },
    { additionalProperties: false },
  ),
  defaults: { level: 0.5, tau: 30 },
  maxStateBytes: 64,
  create(params, ctx, state) {
    const since = (state?.data as number | null | undefined) ?? null;
    return new SoftRefractoryRule(new SoftRefractory(params.level, params.tau, since), ctx);
  },
};
