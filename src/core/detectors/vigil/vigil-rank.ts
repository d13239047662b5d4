/**
 * `vigil-rank`: the `vigil2` preset's detector (core/pipeline/presets.ts): the default's events
 * (`vigil-events`) and shape discords (`discord`) on one stream, their scores laid out in bands so
 * that one score serves an alarm threshold, a point-wise ranking and a "where is the anomaly"
 * question (bench/README.md, "A default that ranks"). With v the events' score and d the raw
 * discord distance (0 … 1):
 *
 * - **alarm band**: v through a monotone map that puts `knee` (the events' strict-mode NAB optimum)
 *   at 0.5 and 1 at `recordBand`, so the preset's threshold 0.5 is that optimum;
 * - **afterglow**: `glowWeight` × the decayed maximum of v (time constant `glowTau` points),
 *   through the same map: the score stays raised (under the threshold) after an event, so the
 *   points of a long anomaly rank above ordinary ones, while the alarm keeps the events' own
 *   refractory logic;
 * - **shape rank**: `shapeWeight` × d, through the same map (under the threshold): among quiet
 *   points, those whose shape has no near neighbour in the recent past rank higher;
 * - **records**, above every event, after `recordWarmup` points (records.ts):
 *   - a discord d above every earlier one (the running maximum taken from half the warm-up on,
 *     exceeded by the factor 1 + `recordMargin`) scores recordBand + (b₁ − recordBand) · d;
 *   - roughness (mean |second difference| over `roughWindow` points) at `roughFactor` × or more
 *     its earlier maximum scores b₁ + (b₂ − b₁) · (1 − before/now);
 *   - a run of one repeated value of `stuckMin` points or more, longer than `stuckFactor` × the
 *     longest earlier run, scores b₂ + (1 − b₂) · (1 − before/now);
 *   with b₁, b₂ splitting [recordBand, 1] in half and quarters (0.95 and 0.975 at the defaults).
 *   A shape, a texture or a frozen value never seen before is the most anomalous thing in the
 *   series; among them a stuck run outranks a roughness burst, which outranks a discord (the
 *   kinds most rarely natural first), and the largest of a kind is its top score.
 *
 * The score is the maximum of these. State: the two members' plus the records' (about 2.3 KB).
 */
import Type from 'typebox';
import { tame } from '../../math/finite.ts';
import type { Score } from '../../point.ts';
import { type Detector, type DetectorFactory, type DetectorState, stepOf } from '../detector.ts';
import { type DetectorSource, stateBoundOf } from '../source.ts';
import {
  RECORD_DEFAULTS,
  type RecordParams,
  RecordParamsSchema,
  RecordTiers,
  type RecordTiersData,
} from './records.ts';

export const VigilRankParams = Type.Object(
  {
    events: Type.Record(Type.String(), Type.Unknown(), {
      default: { glowWeight: 0 },
      description:
        '`vigil-events` params, merged over its defaults (its afterglow off: this detector keeps its own)',
    }),
    discord: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: '`discord` params, merged over its defaults',
    }),
    knee: Type.Number({
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: 0.057,
      description: 'event score mapped to 0.5 (the threshold)',
    }),
    recordBand: Type.Number({
      minimum: 0.5,
      maximum: 1,
      default: 0.9,
      description: 'event score 1 maps here; record discords score above it',
    }),
    glowWeight: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.05,
      description: 'afterglow: this × the decayed maximum of the event score (0 disables)',
    }),
    glowTau: Type.Number({
      exclusiveMinimum: 0,
      default: 100,
      description: 'afterglow time constant (points)',
    }),
    shapeWeight: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.04,
      description: 'shape rank: this × the discord distance (0 disables)',
    }),
    recordWarmup: Type.Integer({
      minimum: 0,
      default: 4096,
      description: 'points before a discord may be a record (the running maximum starts at half)',
    }),
    ...RecordParamsSchema,
    recordMargin: Type.Number({
      minimum: 0,
      default: 0.02,
      description: 'a record exceeds the running maximum by this factor of it',
    }),
  },
  { additionalProperties: false },
);
export interface VigilRankParams extends RecordParams {
  events: Record<string, unknown>;
  discord: Record<string, unknown>;
  knee: number;
  recordBand: number;
  glowWeight: number;
  glowTau: number;
  shapeWeight: number;
  recordWarmup: number;
  recordMargin: number;
}

interface VigilRankData {
  events: DetectorState;
  discord: DetectorState;
  /** Points seen, decayed maximum of the event score, running maximum of the discord distance. */
  n: number;
  glow: number;
  max: number;
  /** The roughness and stuck records (since version 2; a version-1 state starts them afresh). */
  records?: RecordTiersData;
}

const VERSION = 2;

export class VigilRankDetector implements Detector {
  readonly #p: VigilRankParams;
  readonly #events: Detector;
  readonly #discord: Detector;
  readonly #decay: number;
  #n: number;
  #glow: number;
  #max: number;
  readonly #records: RecordTiers;

  constructor(p: VigilRankParams, events: Detector, discord: Detector, data?: VigilRankData) {
    this.#p = p;
    this.#events = events;
    this.#discord = discord;
    this.#decay = Math.exp(-1 / p.glowTau);
    this.#n = data?.n ?? 0;
    this.#glow = data?.glow ?? 0;
    this.#max = data?.max ?? 0;
    this.#records = new RecordTiers(p, p.recordBand + (1 - p.recordBand) / 2, data?.records);
  }

  score(ts: number, value: number): Score {
    const v = this.#events.score(ts, value);
    const d = this.#discord.score(ts, value).score;
    const x = tame(value);
    const glow = Math.max(v.score, this.#glow * this.#decay);
    return this.#out(v, d, glow, this.#records.peek(x));
  }

  update(ts: number, value: number): void {
    this.step(ts, value);
  }

  step(ts: number, value: number): Score {
    const v = stepOf(this.#events, ts, value);
    const d = stepOf(this.#discord, ts, value).score;
    const x = tame(value);
    this.#glow = Math.max(v.score, this.#glow * this.#decay);
    const out = this.#out(v, d, this.#glow, this.#records.push(x));
    if (this.#n >= this.#p.recordWarmup / 2 && d > this.#max) this.#max = d;
    this.#n++;
    return out;
  }

  snapshot(): DetectorState {
    const data: VigilRankData = {
      events: this.#events.snapshot(),
      discord: this.#discord.snapshot(),
      n: this.#n,
      glow: this.#glow,
      max: this.#max,
      records: this.#records.snapshot(),
    };
    return { detector: 'vigil-rank', version: VERSION, data };
  }

  /** `record`: the roughness or stuck record's score at this point (0 if none). */
  #out(v: Score, d: number, glow: number, record: number): Score {
    const p = this.#p;
    let s = this.#map(Math.max(v.score, p.glowWeight * glow, p.shapeWeight * d));
    if (this.#n >= p.recordWarmup && d > this.#max * (1 + p.recordMargin)) {
      const b1 = p.recordBand + (1 - p.recordBand) / 2;
      s = Math.max(s, p.recordBand + (b1 - p.recordBand) * Math.min(d, 1));
    }
    s = Math.max(s, record);
    return { score: s, expected: v.expected, lower: v.lower, upper: v.upper };
  }

  /** Monotone: [0, knee] → [0, 0.5], [knee, 1] → [0.5, recordBand]. */
  #map(x: number): number {
    const { knee, recordBand } = this.#p;
    const c = x > 0 ? Math.min(x, 1) : 0;
    return c <= knee ? (0.5 * c) / knee : 0.5 + ((recordBand - 0.5) * (c - knee)) / (1 - knee);
  }
}

const DEFAULTS: VigilRankParams = {
  events: { glowWeight: 0, records: false },
  discord: {},
  knee: 0.057,
  recordBand: 0.9,
  glowWeight: 0.05,
  glowTau: 100,
  shapeWeight: 0.04,
  recordWarmup: 4096,
  recordMargin: 0.02,
  ...RECORD_DEFAULTS,
};

/** The `vigil-rank` factory; `source` builds its two members by name (the registry). */
export function vigilRank(source: DetectorSource): DetectorFactory<VigilRankParams> {
  return {
    name: 'vigil-rank',
    version: VERSION,
    calibration: 'none',
    threshold: 0.5,
    buildingBlock: 'offered as the `vigil2` preset, which declares its threshold',
    description:
      "The `vigil2` preset's detector: the default's events and shape discords in one score, with an afterglow and a shape rank under the threshold and never-seen discords above every event.",
    params: VigilRankParams,
    defaults: DEFAULTS,
    get maxStateBytes() {
      // Three numbers and keys (256), the records: two rings of roughWindow float64 in base64 at
      // the defaults (2 × 4·⌈8·64/3⌉ = 1,376) and ten numbers with their keys (480).
      return stateBoundOf(source, 'vigil-events') + stateBoundOf(source, 'discord') + 256 + 1376 + 480;
    },
    create(params, state, hints) {
      const data = state?.data as VigilRankData | undefined;
      const events = source.create('vigil-events', params.events, data?.events, hints);
      const discord = source.create('discord', params.discord, data?.discord, hints);
      return new VigilRankDetector(params, events, discord, data);
    },
  };
}
