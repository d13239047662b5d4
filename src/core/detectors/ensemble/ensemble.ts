/**
 * `ensemble`: several registered detectors on the same stream, their scores combined by weighted
 * max (max of wᵢ·sᵢ) or weighted mean (Σwᵢsᵢ / Σwᵢ). Expected value and band are those of the first
 * member that reports one. Members are built by name through the DetectorSource handed to
 * `ensembleDetector(source)`; any member may itself be a wrapper (likelihood, ensemble).
 */
import Type from 'typebox';
import type { Score } from '../../point.ts';
import { type Detector, type DetectorFactory, type DetectorState, stepOf } from '../detector.ts';
import { type DetectorSource, stateBoundOf } from '../source.ts';

const Member = Type.Object(
  {
    name: Type.String({ description: 'registered detector name' }),
    params: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'merged over its defaults' }),
    ),
    weight: Type.Optional(Type.Number({ minimum: 0, description: 'score multiplier (default 1)' })),
  },
  { additionalProperties: false },
);
export interface EnsembleMember {
  name: string;
  params?: Record<string, unknown>;
  weight?: number;
}

/**
 * Chosen on NAB inside the default likelihood (`vigil bench nab --detector likelihood`; standard /
 * low-FP / low-FN): strict 67.65 / 59.80 / 72.40, NAB mode 69.72 / 61.21 / 74.64. Ablations
 * (strict, seasonal searching every 256 points): these three 66.1 / 58.2 / 70.8; without seasonal
 * 65.4 / 60.1 / 69.2; without relative-entropy 64.5 / 52.9 / 71.2; adding bocpd changed nothing,
 * adding the old sliding-window robust-z (before its streaming-quantile rewrite) cost 8 points.
 */
const DEFAULT_MEMBERS: EnsembleMember[] = [
  { name: 'seasonal' },
  { name: 'windowed-gaussian' },
  { name: 'relative-entropy' },
];

export const EnsembleParams = Type.Object(
  {
    detectors: Type.Array(Member, { minItems: 1, default: DEFAULT_MEMBERS, description: 'members' }),
    combine: Type.Union([Type.Literal('max'), Type.Literal('mean')], {
      default: 'max',
      description: 'weighted max or weighted mean of member scores',
    }),
  },
  { additionalProperties: false },
);
export interface EnsembleParams {
  detectors: EnsembleMember[];
  combine: 'max' | 'mean';
}

interface EnsembleData {
  members: DetectorState[];
}

/** One object for every member without params, so the registry resolves its defaults once. */
const NO_PARAMS: Record<string, unknown> = Object.freeze({});

/** Each declaration's weights, shared by the detectors built from it. */
const weightsOf = new WeakMap<EnsembleParams, readonly number[]>();

/**
 * The members' scores combined as they come, member by member in order: the detector keeps no
 * array of its members' last scores (issue 19: with their boxed numbers, ~250 bytes a series).
 */
class Combined {
  s = 0;
  band: Score | undefined = undefined;

  add(weight: number, m: Score, max: boolean): void {
    const w = weight * m.score;
    if (max) {
      if (w > this.s) this.s = w;
    } else this.s += w;
    if (this.band === undefined && !Number.isNaN(m.expected)) this.band = m;
  }

  result(max: boolean, weightSum: number): Score {
    let s = this.s;
    if (!max) s = weightSum > 0 ? s / weightSum : 0;
    const band = this.band;
    return {
      score: Math.min(s, 1),
      expected: band?.expected ?? Number.NaN,
      lower: band?.lower ?? Number.NaN,
      upper: band?.upper ?? Number.NaN,
    };
  }
}

export class EnsembleDetector implements Detector {
  readonly #members: Detector[];
  readonly #weights: readonly number[];
  readonly #max: boolean;
  readonly #weightSum: number;

  constructor(p: EnsembleParams, members: Detector[]) {
    this.#members = members;
    let weights = weightsOf.get(p);
    if (weights === undefined) {
      weights = p.detectors.map((m) => m.weight ?? 1);
      weightsOf.set(p, weights);
    }
    this.#weights = weights;
    this.#max = p.combine === 'max';
    this.#weightSum = this.#weights.reduce((a, b) => a + b, 0);
  }

  score(ts: number, value: number): Score {
    const c = new Combined();
    for (let i = 0; i < this.#members.length; i++)
      c.add(this.#weights[i]!, this.#members[i]!.score(ts, value), this.#max);
    return c.result(this.#max, this.#weightSum);
  }

  update(ts: number, value: number): void {
    for (const m of this.#members) m.update(ts, value);
  }

  step(ts: number, value: number): Score {
    const c = new Combined();
    for (let i = 0; i < this.#members.length; i++) {
      c.add(this.#weights[i]!, stepOf(this.#members[i]!, ts, value), this.#max);
    }
    return c.result(this.#max, this.#weightSum);
  }

  snapshot(): DetectorState {
    const data: EnsembleData = { members: this.#members.map((m) => m.snapshot()) };
    return { detector: 'ensemble', version: 1, data };
  }
}

const DEFAULTS: EnsembleParams = { detectors: DEFAULT_MEMBERS, combine: 'max' };

/** The `ensemble` factory; `source` builds members by name (the registry). */
export function ensembleDetector(source: DetectorSource): DetectorFactory<EnsembleParams> {
  return {
    name: 'ensemble',
    version: 1,
    description: 'Several detectors on one stream, scores combined by weighted max or mean.',
    params: EnsembleParams,
    defaults: DEFAULTS,
    // The members' bounds (read late: members may register after this factory), plus the envelope.
    get maxStateBytes() {
      return DEFAULTS.detectors.reduce((sum, m) => sum + stateBoundOf(source, m.name) + 16, 64);
    },
    create(params, state, hints) {
      const data = state?.data as EnsembleData | undefined;
      if (data !== undefined && data.members.length !== params.detectors.length) {
        throw new Error(
          `ensemble state has ${data.members.length} members, params ${params.detectors.length}`,
        );
      }
      const members = params.detectors.map((m, i) => {
        const st = data?.members[i];
        const name = source.get(m.name).name;
        if (st !== undefined && st.detector !== name) {
          throw new Error(`ensemble member ${i} is ${name} but its state is ${st.detector}'s`);
        }
        return source.create(m.name, m.params ?? NO_PARAMS, st, hints);
      });
      return new EnsembleDetector(params, members);
    },
  };
}
