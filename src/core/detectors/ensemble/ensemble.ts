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

export class EnsembleDetector implements Detector {
  readonly #members: Detector[];
  readonly #weights: Float64Array;
  readonly #max: boolean;
  readonly #weightSum: number;
  readonly #scores: Score[];

  constructor(p: EnsembleParams, members: Detector[]) {
    this.#members = members;
    this.#weights = Float64Array.from(p.detectors, (m) => m.weight ?? 1);
    this.#max = p.combine === 'max';
    this.#weightSum = this.#weights.reduce((a, b) => a + b, 0);
    this.#scores = new Array(members.length);
  }

  score(ts: number, value: number): Score {
    for (let i = 0; i < this.#members.length; i++) this.#scores[i] = this.#members[i]!.score(ts, value);
    return this.#combine();
  }

  update(ts: number, value: number): void {
    for (const m of this.#members) m.update(ts, value);
  }

  step(ts: number, value: number): Score {
    for (let i = 0; i < this.#members.length; i++) {
      this.#scores[i] = stepOf(this.#members[i]!, ts, value);
    }
    return this.#combine();
  }

  #combine(): Score {
    let s = 0;
    let band: Score | undefined;
    for (let i = 0; i < this.#scores.length; i++) {
      const m = this.#scores[i]!;
      const w = this.#weights[i]! * m.score;
      if (this.#max) {
        if (w > s) s = w;
      } else s += w;
      if (band === undefined && !Number.isNaN(m.expected)) band = m;
    }
    if (!this.#max) s = this.#weightSum > 0 ? s / this.#weightSum : 0;
    return {
      score: Math.min(s, 1),
      expected: band?.expected ?? Number.NaN,
      lower: band?.lower ?? Number.NaN,
      upper: band?.upper ?? Number.NaN,
    };
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
        return source.create(m.name, m.params ?? {}, st, hints);
      });
      return new EnsembleDetector(params, members);
    },
  };
}
