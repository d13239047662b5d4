/**
 * `vigil-events`: the detector of the `vigil` preset (core/pipeline/presets.ts), Vigil's default,
 * chosen by measurement on NAB (docs/detectors.md). A building block: its fusion needs a second,
 * calibrated score stream, so it is one detector rather than a chain of stages, and it is offered
 * to users only through the preset. Events come from two sources, and each is scored by how well
 * the rest of the evidence backs it:
 *
 * - **events**: ARTime (staged-artime.ts; a pattern that resonates with no learned shape) and the
 *   new-extreme rule (a value beyond all earlier ones by `extremeTolerance` of their range, at
 *   strength `extremeWeight`). Every other point gets only the evidence tier's score (below);
 * - **corroboration**: the calibrated score of the `evidence` detector (the `likelihood` wrapper:
 *   HTM anomaly likelihood over a statistical ensemble), its maximum over the last
 *   `corroborationWindow` points E. An event of strength p scores (p + w·E) / (1 + w), w =
 *   `corroborationWeight`: an ARTime event that the statistics also saw rises, one they did not
 *   see sinks, which removes most of ARTime's false positives on noisy series. An ARTime that
 *   has to estimate its value range from the stream (no min/max hints: production, strict mode)
 *   is less precise, and its events take w = `estimatedRangeWeight` instead;
 * - **repeats** (repeat-mask.ts): an event no stronger than one of the last `repeatWindow` points
 *   is multiplied by `repeatDamping`;
 * - **soft refractory** (soft-refractory.ts): after a score above `refractoryLevel`, scores are
 *   damped by 1 − e^(−gap/`refractoryTau`), so one anomaly is reported once;
 * - **evidence tier** (evidence-tier.ts): a point without an event scores `tierWeight` × E, damped
 *   after alarms, so it ranks under every event: below the recommended threshold it flags
 *   nothing, and a profile whose optimal threshold is that low gains the strongest statistical
 *   alarms that no event saw;
 * - **afterglow**: every score is at least `glowWeight` × the maximum of the earlier scores
 *   decayed by e^(−1/`glowTau`) a point. The points just after an event rank above ordinary ones
 *   (point-wise ROC-AUC on NAB 0.494 → 0.659), while the refractory keeps one alarm per anomaly:
 *   at the default 0.05 the glow stays under the threshold and under the strict NAB optimum
 *   (0.057), so nothing it raises is flagged;
 * - **records** (records.ts): roughness (mean |second difference| over `roughWindow` points at
 *   `roughFactor` × its earlier maximum: added noise, glitches) and stuck runs (one value repeated
 *   `stuckMin` points or more, longer than `stuckFactor` × any earlier run: a frozen sensor),
 *   from point `recordWarmup` on, score in [0.95, 1], above nearly every event. Rare: on NAB's
 *   58 series they flag 5 points; on ucr-dev they take the UCR top-1 from 12 to 17 of 48.
 *
 * Band: the evidence detector's. NAB mode hands ARTime and the likelihood the file's min/max and
 * probation; strict mode runs on the stream alone (staged-artime.ts).
 */
import Type from 'typebox';
import { tame } from '../../math/finite.ts';
import type { Score } from '../../point.ts';
import { type ExtremeData, NewExtreme } from '../../scoring/new-extreme.ts';
import { SoftRefractory } from '../../scoring/soft-refractory.ts';
import { type Detector, type DetectorFactory, type DetectorState, stepOf } from '../detector.ts';
import { type DetectorSource, stateBoundOf } from '../source.ts';
import { EvidenceTier } from './evidence-tier.ts';
import { RecentMax } from './recent-max.ts';
import {
  RECORD_DEFAULTS,
  type RecordParams,
  RecordParamsSchema,
  RecordTiers,
  type RecordTiersData,
} from './records.ts';
import { RepeatMask } from './repeat-mask.ts';
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
    estimatedRangeWeight: Type.Number({
      minimum: 0,
      default: 1.5,
      description: "w for ARTime's events when it estimates its value range (no min/max hints)",
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
    repeatWindow: Type.Integer({
      minimum: 0,
      default: 50,
      description: 'an event no stronger than one of this many points back is a repeat; 0 disables',
    }),
    repeatDamping: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.05,
      description: 'factor on the score of a repeat',
    }),
    tierWeight: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.1,
      description: 'a point without an event scores this × its evidence (damped after alarms); 0 disables',
    }),
    tierAlarmLevel: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.5,
      description: 'evidence above this on a point without an event is an alarm of the tier',
    }),
    tierTau: Type.Number({
      minimum: 0,
      default: 100,
      description: 'tier refractory time constant in points after an alarm; 0 disables',
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
    glowWeight: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.05,
      description:
        'afterglow: every score is at least this × the decayed maximum of earlier scores; 0 disables',
    }),
    glowTau: Type.Number({
      exclusiveMinimum: 0,
      default: 100,
      description: 'afterglow time constant in points',
    }),
    records: Type.Boolean({ default: true, description: 'score roughness and stuck records (0.95 … 1)' }),
    recordWarmup: Type.Integer({
      minimum: 0,
      default: 4096,
      description: 'points before a record can be scored (roughness remembered from half that on)',
    }),
    ...RecordParamsSchema,
  },
  { additionalProperties: false },
);
export interface VigilParams extends RecordParams {
  evidence: string;
  evidenceParams: Record<string, unknown>;
  corroborationWindow: number;
  corroborationWeight: number;
  estimatedRangeWeight: number;
  extremeTolerance: number;
  extremeWeight: number;
  refractoryLevel: number;
  refractoryTau: number;
  repeatWindow: number;
  repeatDamping: number;
  tierWeight: number;
  tierAlarmLevel: number;
  tierTau: number;
  shortProbation: number;
  longProbation: number;
  longRangeMargin: number;
  longMaxCategories: number;
  glowWeight: number;
  glowTau: number;
  records: boolean;
  recordWarmup: number;
}

interface VigilData {
  artime: StagedArtimeData;
  evidence: DetectorState;
  /** Evidence scores of the last `corroborationWindow` points, oldest first. */
  recent: number[];
  extreme: ExtremeData;
  /** Points since the last refractory event; null before the first. */
  since: number | null;
  /** Whether ARTime estimates its value range (no min/max hints); absent in version 1. */
  estimatedRange?: boolean;
  /** Undamped event scores of the last `repeatWindow` points, oldest first; absent in version 1. */
  repeats?: number[];
  /** Points since the last alarm of the evidence tier; absent in version 1. */
  tierSince?: number | null;
  /** The decayed maximum of the scores so far (the afterglow); absent before version 4. */
  glow?: number;
  /** The roughness and stuck records (with `records`); absent before version 4. */
  records?: RecordTiersData;
}

/** Where records score: [RECORD_LOW, 1], roughness in the lower half, stuck runs in the upper. */
const RECORD_LOW = 0.95;

export class VigilDetector implements Detector {
  readonly #p: VigilParams;
  readonly #artime: StagedArtime;
  readonly #evidence: Detector;
  readonly #recent: RecentMax;
  readonly #extreme: NewExtreme;
  readonly #refractory: SoftRefractory;
  readonly #repeats: RepeatMask;
  readonly #tier: EvidenceTier;
  /** ARTime's events take `estimatedRangeWeight` rather than `corroborationWeight`. */
  readonly #estimatedRange: boolean;
  readonly #decay: number;
  #glow: number;
  readonly #records: RecordTiers | undefined;

  constructor(
    p: VigilParams,
    artime: StagedArtime,
    evidence: Detector,
    estimatedRange: boolean,
    data?: VigilData,
  ) {
    this.#p = p;
    this.#artime = artime;
    this.#evidence = evidence;
    this.#estimatedRange = estimatedRange;
    this.#recent = new RecentMax(p.corroborationWindow, data?.recent);
    this.#extreme = new NewExtreme(p.extremeTolerance, data?.extreme ?? null);
    this.#refractory = new SoftRefractory(p.refractoryLevel, p.refractoryTau, data?.since ?? null);
    this.#repeats = new RepeatMask(p.repeatWindow, p.repeatDamping, data?.repeats);
    this.#tier = new EvidenceTier(p.tierWeight, p.tierAlarmLevel, p.tierTau, data?.tierSince ?? null);
    this.#decay = Math.exp(-1 / p.glowTau);
    this.#glow = data?.glow ?? 0;
    this.#records = p.records ? new RecordTiers(p, RECORD_LOW, data?.records) : undefined;
  }

  score(ts: number, value: number): Score {
    const event = this.#artime.score(ts, value);
    const evidence = this.#evidence.score(ts, value);
    const raw = this.#fuse(value, event, evidence.score);
    const record = this.#records?.peek(tame(value)) ?? 0;
    return this.#out(Math.max(this.#glowing(this.#final(raw, evidence.score)), record), evidence);
  }

  /** Learning needs what scoring found, so it is a step whose score is not needed. */
  update(ts: number, value: number): void {
    this.step(ts, value);
  }

  step(ts: number, value: number): Score {
    const event = this.#artime.step(ts, value);
    const evidence = stepOf(this.#evidence, ts, value);
    const raw = this.#fuse(value, event, evidence.score);
    const final = Math.max(this.#final(raw, evidence.score), this.#records?.push(tame(value)) ?? 0);
    const score = this.#out(this.#glowing(final), evidence);
    this.#commit(value, evidence.score, raw);
    this.#glow = Math.max(clamp01(final), this.#glow * this.#decay);
    return score;
  }

  snapshot(): DetectorState {
    const data: VigilData = {
      artime: this.#artime.toJSON(),
      evidence: this.#evidence.snapshot(),
      recent: this.#recent.toJSON(),
      extreme: this.#extreme.toJSON(),
      since: this.#refractory.toJSON(),
      estimatedRange: this.#estimatedRange,
      repeats: this.#repeats.toJSON(),
      tierSince: this.#tier.toJSON(),
      glow: this.#glow,
      ...(this.#records !== undefined ? { records: this.#records.snapshot() } : {}),
    };
    return { detector: 'vigil-events', version: 4, data };
  }

  /** The undamped score: an event's strength backed by the recent evidence, or 0 without an event. */
  #fuse(value: number, event: number, evidence: number): number {
    const p = this.#p;
    const extreme = this.#extreme.test(value) ? p.extremeWeight : 0;
    const a = clamp01(event);
    const e = Math.max(a, extreme);
    if (!(e > 0)) return 0;
    const w = this.#estimatedRange && a > extreme ? p.estimatedRangeWeight : p.corroborationWeight;
    return (e + w * this.#recent.peek(clamp01(evidence))) / (1 + w);
  }

  /** The output score: an event's, masked if a repeat and refractory-damped, or else the tier's. */
  #final(raw: number, evidence: number): number {
    if (raw > 0) return this.#refractory.damp(this.#repeats.damp(raw));
    return this.#tier.score(clamp01(evidence));
  }

  /** `score`, or the afterglow of the earlier scores where that is higher. */
  #glowing(score: number): number {
    return Math.max(score, this.#p.glowWeight * this.#glow * this.#decay);
  }

  #commit(value: number, evidence: number, raw: number): void {
    const e = clamp01(evidence);
    this.#recent.push(e);
    this.#extreme.observe(value);
    this.#refractory.observe(raw);
    this.#repeats.push(raw);
    this.#tier.observe(raw > this.#p.refractoryLevel, raw > 0, e);
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
  estimatedRangeWeight: 1.5,
  extremeTolerance: 0.05,
  extremeWeight: 0.5,
  refractoryLevel: 0.3,
  refractoryTau: 30,
  repeatWindow: 50,
  repeatDamping: 0.05,
  tierWeight: 0.1,
  tierAlarmLevel: 0.5,
  tierTau: 100,
  shortProbation: 200,
  longProbation: 750,
  longRangeMargin: 0.5,
  longMaxCategories: 128,
  glowWeight: 0.05,
  glowTau: 100,
  records: true,
  recordWarmup: 4096,
  ...RECORD_DEFAULTS,
};

/** The declared state bound of `vigil-events` at its defaults, by part (see maxStateBytes). */
export function vigilStateParts(source: DetectorSource): Record<string, number> {
  const artimeFixed = stateBoundOf(source, 'artime') - 362 * 512;
  return {
    artime: Math.max(362 * DEFAULTS.longMaxCategories + artimeFixed, 8 * DEFAULTS.longProbation * 2),
    evidence: stateBoundOf(source, DEFAULTS.evidence),
    rings: 25 * (DEFAULTS.corroborationWindow + DEFAULTS.repeatWindow),
    // Two rings of roughWindow float64 in base64 and ten numbers with their keys.
    records: 2 * 4 * Math.ceil((8 * DEFAULTS.roughWindow) / 3) + 480,
    counters: 1024,
  };
}

function vigilStateBytes(source: DetectorSource): number {
  return Object.values(vigilStateParts(source)).reduce((a, b) => a + b, 0);
}

/** The `vigil-events` factory; `source` builds ARTime and the evidence detector by name (the registry). */
export function vigilEvents(source: DetectorSource): DetectorFactory<VigilParams> {
  return {
    name: 'vigil-events',
    // Version 3: ARTime's state before its handoff is the values seen (staged-artime.ts), the
    // evidence's likelihood history is compact. Version 4: the afterglow's maximum and the records.
    // Version-1 to -3 states restore as well (the afterglow and records start afresh).
    version: 4,
    // Its scores are calibrated alarm values already; the threshold is the `vigil` preset's.
    calibration: 'none',
    threshold: 0.3,
    buildingBlock: 'offered as the `vigil` preset, which declares its threshold',
    description:
      "The `vigil` preset's detector: ARTime and new-extreme events, corroborated by the likelihood ensemble, with repeat masking, a soft refractory and an evidence-only tier below every event.",
    params: VigilParams,
    defaults: DEFAULTS,
    // Bound without NAB hints (production; docs/detectors.md "State of the default"): the later
    // ARTime at its category cap (362 bytes a category, as artime declares, plus its fixed part),
    // which outweighs the values kept before the handoff; the evidence detector; the rings (≤ 25
    // bytes a number) and counters here. Read late: members may register later. Under NAB hints
    // ARTime keeps every category, as the original does, and has no bound.
    get maxStateBytes() {
      return vigilStateBytes(source);
    },
    create(params, state, hints) {
      const data = state?.data as VigilData | undefined;
      const evidenceName = source.get(params.evidence).name;
      if (data !== undefined && data.evidence.detector !== evidenceName) {
        throw new Error(`vigil evidence is ${evidenceName} but its state is ${data.evidence.detector}'s`);
      }
      const artime = new StagedArtime(source, params, hints, data?.artime);
      const evidence = source.create(params.evidence, params.evidenceParams, data?.evidence, hints);
      // A version-1 state did not record it; staged means no NAB hints, hence no min/max either.
      const estimatedRange =
        data !== undefined
          ? (data.estimatedRange ?? data.artime.staged)
          : hints?.min === undefined || hints.max === undefined;
      return new VigilDetector(params, artime, evidence, estimatedRange, data);
    },
  };
}
