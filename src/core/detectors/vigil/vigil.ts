/**
 * `vigil`: Vigil's default detector, chosen by measurement on NAB (docs/detectors.md). Events come
 * from two sources, and each is scored by how well the rest of the evidence backs it:
 *
 * - **events**: ARTime (staged-artime.ts; a pattern that resonates with no learned shape) and the
 *   new-extreme rule (a value beyond all earlier ones by `extremeTolerance` of their range, at
 *   strength `extremeWeight`). Every other point scores 0, so the output stays sparse;
 * - **corroboration**: the calibrated score of the `evidence` detector (the `likelihood` wrapper:
 *   HTM anomaly likelihood over a statistical ensemble), its maximum over the last
 *   `corroborationWindow` points E. An event of strength p scores (p + w·E) / (1 + w), w =
 *   `corroborationWeight`: an ARTime event that the statistics also saw rises, one they did not
 *   see sinks, which removes most of ARTime's false positives on noisy series;
 * - **soft refractory** (soft-refractory.ts): after a score above `refractoryLevel`, scores are
 *   damped by 1 − e^(−gap/`refractoryTau`), so one anomaly is reported once.
 *
 * Band: the evidence detector's. NAB mode hands ARTime and the likelihood the file's min/max and
 * probation; strict mode runs on the stream alone (staged-artime.ts).
 */
import Type from 'typebox';
import type { Score } from '../../point.ts';
import { type Detector, type DetectorFactory, type DetectorState, stepOf } from '../detector.ts';
import { type DetectorSource, stateBoundOf } from '../source.ts';
import { type ExtremeData, NewExtreme } from './new-extreme.ts';
import { RecentMax } from './recent-max.ts';
import { SoftRefractory } from './soft-refractory.ts';
import { StagedArtime, type StagedArtimeData } from './staged-artime.ts';

export const VigilParams = Type.Object(
  {
    evidence: Type.String({
      default: 'likelihood',
      description: 'registered detector whose calibrated score corroborates events',
    }),
    evidenceParams: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: "the evidence detector's params, merged over its defaults",
    }),
    corroborationWindow: Type.Integer({
      minimum: 1,
      default: 30,
      description: 'points back (besides the current one) whose evidence may back an event',
    }),
    corroborationWeight: Type.Number({
      minimum: 0,
      default: 1,
      description: 'weight w of the evidence: score = (event + w·evidence) / (1 + w)',
    }),
    extremeTolerance: Type.Number({
      minimum: 0,
      default: 0.05,
      description: 'a new extreme lies beyond all earlier values by this fraction of their range',
    }),
    extremeWeight: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.5,
      description: 'event strength of a new extreme (0: not an event)',
    }),
    refractoryLevel: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.3,
      description: 'a score above this starts a refractory period',
    }),
    refractoryTau: Type.Number({
      minimum: 0,
      default: 30,
      description: 'refractory time constant in points: scores × (1 − e^(−gap/τ)); 0 disables',
    }),
    shortProbation: Type.Integer({
      minimum: 32,
      default: 200,
      description: "strict mode: the early ARTime's probation in points",
    }),
    longProbation: Type.Integer({
      minimum: 32,
      default: 750,
      description: "strict mode: the later ARTime's probation; it takes over after this many points",
    }),
    longRangeMargin: Type.Number({
      minimum: 0,
      default: 0.5,
      description: "strict mode: the later ARTime's margin on its estimated value range",
    }),
    longMaxCategories: Type.Integer({
      minimum: 16,
      default: 128,
      description: "strict mode: the later ARTime's cap on categories (bounds its state)",
    }),
  },
  { additionalProperties: false },
);
export interface VigilParams {
  evidence: string;
  evidenceParams: Record<string, unknown>;
  corroborationWindow: number;
  corroborationWeight: number;
  extremeTolerance: number;
  extremeWeight: number;
  refractoryLevel: number;
  refractoryTau: number;
  shortProbation: number;
  longProbation: number;
  longRangeMargin: number;
  longMaxCategories: number;
}

interface VigilData {
  artime: StagedArtimeData;
  evidence: DetectorState;
  /** Evidence scores of the last `corroborationWindow` points, oldest first. */
  recent: number[];
  extreme: ExtremeData;
  /** Points since the last refractory event; null before the first. */
  since: number | null;
}

/** What `score` found for a point, kept so that `update` of the same point need not redo it. */
interface Pending {
  ts: number;
  value: number;
  event: number;
  evidence: Score;
  raw: number;
  score: Score;
}

export class VigilDetector implements Detector {
  readonly #p: VigilParams;
  readonly #artime: StagedArtime;
  readonly #evidence: Detector;
  readonly #recent: RecentMax;
  readonly #extreme: NewExtreme;
  readonly #refractory: SoftRefractory;
  #pending: Pending | undefined;

  constructor(p: VigilParams, artime: StagedArtime, evidence: Detector, data?: VigilData) {
    this.#p = p;
    this.#artime = artime;
    this.#evidence = evidence;
    this.#recent = new RecentMax(p.corroborationWindow, data?.recent);
    this.#extreme = new NewExtreme(p.extremeTolerance, data?.extreme ?? null);
    this.#refractory = new SoftRefractory(p.refractoryLevel, p.refractoryTau, data?.since ?? null);
  }

  score(ts: number, value: number): Score {
    const pend = this.#pending;
    if (pend !== undefined && pend.ts === ts && Object.is(pend.value, value)) return pend.score;
    const event = this.#artime.score(ts, value);
    const evidence = this.#evidence.score(ts, value);
    const raw = this.#fuse(value, event, evidence.score);
    const score = this.#out(this.#refractory.damp(raw), evidence);
    this.#pending = { ts, value, event, evidence, raw, score };
    return score;
  }

  update(ts: number, value: number): void {
    const pend = this.#pending;
    this.#pending = undefined;
    if (pend !== undefined && pend.ts === ts && Object.is(pend.value, value)) {
      this.#artime.step(ts, value);
      this.#evidence.update(ts, value);
      this.#commit(value, pend.evidence.score, pend.raw);
    } else {
      this.step(ts, value);
    }
  }

  step(ts: number, value: number): Score {
    const pend = this.#pending;
    if (pend !== undefined && pend.ts === ts && Object.is(pend.value, value)) {
      this.update(ts, value);
      return pend.score;
    }
    this.#pending = undefined;
    const event = this.#artime.step(ts, value);
    const evidence = stepOf(this.#evidence, ts, value);
    const raw = this.#fuse(value, event, evidence.score);
    const score = this.#out(this.#refractory.damp(raw), evidence);
    this.#commit(value, evidence.score, raw);
    return score;
  }

  snapshot(): DetectorState {
    const data: VigilData = {
      artime: this.#artime.toJSON(),
      evidence: this.#evidence.snapshot(),
      recent: this.#recent.toJSON(),
      extreme: this.#extreme.toJSON(),
      since: this.#refractory.toJSON(),
    };
    return { detector: 'vigil', version: 1, data };
  }

  /** The undamped score: an event's strength backed by the recent evidence, or 0 without an event. */
  #fuse(value: number, event: number, evidence: number): number {
    const p = this.#p;
    const extreme = this.#extreme.test(value) ? p.extremeWeight : 0;
    const e = Math.max(clamp01(event), extreme);
    if (!(e > 0)) return 0;
    const w = p.corroborationWeight;
    return (e + w * this.#recent.peek(clamp01(evidence))) / (1 + w);
  }

  #commit(value: number, evidence: number, raw: number): void {
    this.#recent.push(clamp01(evidence));
    this.#extreme.observe(value);
    this.#refractory.observe(raw);
  }

  #out(score: number, evidence: Score): Score {
    return {
      score: clamp01(score),
      expected: evidence.expected,
      lower: evidence.lower,
      upper: evidence.upper,
    };
  }
}

function clamp01(x: number): number {
  return x > 0 ? Math.min(x, 1) : 0;
}

const DEFAULTS: VigilParams = {
  evidence: 'likelihood',
  evidenceParams: {},
  corroborationWindow: 30,
  corroborationWeight: 1,
  extremeTolerance: 0.05,
  extremeWeight: 0.5,
  refractoryLevel: 0.3,
  refractoryTau: 30,
  shortProbation: 200,
  longProbation: 750,
  longRangeMargin: 0.5,
  longMaxCategories: 128,
};

/** The `vigil` factory; `source` builds ARTime and the evidence detector by name (the registry). */
export function vigilDetector(source: DetectorSource): DetectorFactory<VigilParams> {
  return {
    name: 'vigil',
    version: 1,
    // NAB standard-profile optimum: 0.31 (nab mode), 0.26 (strict); bench/results/nab-vigil-*.json.
    threshold: 0.3,
    description:
      'Default: ARTime and new-extreme events, corroborated by the likelihood ensemble, with a soft refractory.',
    params: VigilParams,
    defaults: DEFAULTS,
    // Two ARTime instances (both live during the first longProbation points of strict mode; the
    // long one at 362 bytes a category, as artime declares, plus its fixed part), the evidence
    // detector, and the ring and counters here (read late: members may register later).
    get maxStateBytes() {
      return (
        stateBoundOf(source, 'artime') +
        362 * DEFAULTS.longMaxCategories +
        16384 +
        stateBoundOf(source, DEFAULTS.evidence) +
        25 * DEFAULTS.corroborationWindow +
        1024
      );
    },
    create(params, state, hints) {
      const data = state?.data as VigilData | undefined;
      const evidenceName = source.get(params.evidence).name;
      if (data !== undefined && data.evidence.detector !== evidenceName) {
        throw new Error(`vigil evidence is ${evidenceName} but its state is ${data.evidence.detector}'s`);
      }
      const artime = new StagedArtime(source, params, hints, data?.artime);
      const evidence = source.create(params.evidence, params.evidenceParams, data?.evidence, hints);
      return new VigilDetector(params, artime, evidence, data);
    },
  };
}
