/**
 * Guardrails as post-rules: `direction` (only up or only down), `minDeviation` (at least this far
 * from the expected value, absolutely and relative to it) and `minDuration` (only from the Nth
 * anomalous point in a row). A point without an expected value (NaN) passes `direction` and
 * `minDeviation`: they cannot judge it, and a guardrail must not hide what it cannot see.
 */
import Type from 'typebox';
import type { ScoredPoint } from '../../point.ts';
import { cleared, type PostRule, type PostRuleKind, statelessRule } from '../post-rule.ts';
import type { StageState } from '../stage.ts';

export interface DirectionParams {
  value: 'up' | 'down' | 'both';
}

export const directionRule: PostRuleKind<DirectionParams> = {
  name: 'direction',
  version: 1,
  description: 'Only anomalies above (`up`) or below (`down`) the expected value; `both` keeps all.',
  params: Type.Object(
    {
      value: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('both')], {
        default: 'both',
        description: 'which side of the expected value may be anomalous',
      }),
    },
    { additionalProperties: false },
  ),
  defaults: { value: 'both' },
  maxStateBytes: 64,
  create(params) {
    const want = params.value;
    return statelessRule('direction', (p) => {
      if (!p.anomalous || want === 'both' || Number.isNaN(p.expected)) return p;
      const ok = want === 'up' ? p.value > p.expected : p.value < p.expected;
      return ok ? p : cleared(p);
    });
  },
};

export interface MinDeviationParams {
  absolute: number;
  relative: number;
}

export const minDeviationRule: PostRuleKind<MinDeviationParams> = {
  name: 'minDeviation',
  version: 1,
  description:
    'Only anomalies at least `absolute` away from the expected value and at least `relative` × |expected|.',
  params: Type.Object(
    {
      absolute: Type.Number({ minimum: 0, default: 0, description: 'least |value − expected|' }),
      relative: Type.Number({ minimum: 0, default: 0, description: 'least |value − expected| / |expected|' }),
    },
    { additionalProperties: false },
  ),
  defaults: { absolute: 0, relative: 0 },
  maxStateBytes: 64,
  create(params) {
    const { absolute, relative } = params;
    return statelessRule('minDeviation', (p) => {
      if (!p.anomalous || Number.isNaN(p.expected)) return p;
      const d = Math.abs(p.value - p.expected);
      return d >= absolute && d >= relative * Math.abs(p.expected) ? p : cleared(p);
    });
  },
};

export interface MinDurationParams {
  points: number;
}

/** Counts the points in a row that reached this rule anomalous; the first `points − 1` are cleared. */
class MinDuration implements PostRule {
  readonly #points: number;
  #run: number;

  constructor(points: number, run: number) {
    this.#points = points;
    this.#run = run;
  }

  score(p: ScoredPoint): ScoredPoint {
    if (!p.anomalous) return p;
    return this.#run + 1 >= this.#points ? p : cleared(p);
  }

  step(p: ScoredPoint): ScoredPoint {
    const out = this.score(p);
    this.#run = p.anomalous ? Math.min(this.#run + 1, this.#points) : 0;
    return out;
  }

  snapshot(): StageState {
    return { stage: 'minDuration', version: 1, data: this.#run };
  }
}

export const minDurationRule: PostRuleKind<MinDurationParams> = {
  name: 'minDuration',
  version: 1,
  description:
    'Only anomalies that last: a point is anomalous from the `points`-th anomalous point in a row.',
  params: Type.Object(
    {
      points: Type.Integer({
        minimum: 1,
        default: 1,
        description: 'anomalous points in a row before one counts',
      }),
    },
    { additionalProperties: false },
  ),
  defaults: { points: 1 },
  maxStateBytes: 64,
  create(params, _ctx, state) {
    return new MinDuration(params.points, (state?.data as number | undefined) ?? 0);
  },
};
