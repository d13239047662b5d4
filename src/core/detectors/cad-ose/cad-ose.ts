/**
 * CAD OSE, the Contextual Anomaly Detector (open source edition; M. Smirnov, winner of the 2016 NAB
 * competition), implemented from /work/shared/research/detectors.md §2. Each value becomes three
 * binary facts (a 3-bit quantisation of its place in the value range); a symbolic memory learns
 * which fact sets follow which (contexts). The raw score mixes expected contexts that failed to
 * come with contexts that had to be created. After a raw score ≥ 0.75, and during the first R
 * points (R = P/5), the output is 0: a built-in refractory period. Given NAB's inputs the outputs
 * equal NAB's stored contextOSE results row for row (CPython 2 tie-breaks are emulated).
 *
 * NAB mode vs strict mode. NAB hands the detector the file's min/max (`hints.min`/`hints.max`)
 * and the range is fixed. Without them (production) the first R values are held back (their
 * outputs are 0 in either mode), the range is set to their min/max widened by `rangeMargin` of the
 * span on each side, and they are replayed. A later value outside the range widens it past the
 * value by `rangeMargin` of the distance to the far end, and the memory restarts: facts now mean
 * other levels, so the old contexts describe nothing. The restart reads as a burst of new contexts
 * (the right signal for a level shift) and then the refractory silence while it re-learns. On
 * NAB in strict mode this scored 56.8 standard (margin 0.5), against 40.9 for a margin of 0.1
 * without restarts. P is `hints.probationaryLength` when given, else the `probation` param.
 *
 * State: the memory only grows in CAD OSE, and does so in NAB mode (NAB's largest file, art_noisy,
 * ends with 63,966 contexts, 1.3 MB of JSON). In strict mode it also restarts once it holds
 * `maxContexts` contexts; 16,384 scored the same on NAB (strict) as no cap, 4,096 cost 1.5 points.
 */
import Type from 'typebox';
import { tame } from '../../math/finite.ts';
import type { Score } from '../../point.ts';
import {
  DEFAULT_AFTERGLOW,
  type Detector,
  type DetectorFactory,
  type DetectorHints,
  type DetectorState,
} from '../detector.ts';
import { ContextMemory, type ContextMemoryData } from './context-memory.ts';

export const CadOseParams = Type.Object(
  {
    probation: Type.Integer({
      minimum: 5,
      default: 750,
      description: 'probationary length in points when the harness gives none (rest period = P/5)',
    }),
    rangeMargin: Type.Number({
      minimum: 0,
      default: 0.5,
      description: 'strict mode: margin added to the estimated value range, as a fraction of its span',
    }),
    maxContexts: Type.Integer({
      minimum: 1000,
      default: 16384,
      description: 'strict mode: contexts at which the memory restarts empty (bounds the state)',
    }),
  },
  { additionalProperties: false },
);
export interface CadOseParams {
  probation: number;
  rangeMargin: number;
  maxContexts: number;
}

const BASE_THRESHOLD = 0.75;
const NORM_BITS = 3;
const LEVELS = (1 << NORM_BITS) - 1;

interface CadOseData {
  rest: number;
  lo: number;
  hi: number;
  fixed: boolean;
  buffer: number[] | null;
  sinceHigh: number;
  memory: ContextMemoryData;
}

export class CadOseDetector implements Detector {
  readonly #params: CadOseParams;
  /** R: outputs stay 0 until R raw scores below the threshold follow the last one at or above it. */
  readonly #rest: number;
  #lo: number;
  #hi: number;
  readonly #fixed: boolean;
  /** Strict mode: the first R values, held until the range is estimated. */
  #buffer: number[] | null;
  /** Raw scores since the last one ≥ 0.75 (the history starts with a 1.0). */
  #sinceHigh = 0;
  #memory: ContextMemory;

  constructor(params: CadOseParams, hints: DetectorHints = {}, data?: CadOseData) {
    this.#params = params;
    const p = hints.probationaryLength ?? params.probation;
    this.#rest = data?.rest ?? Math.max(1, Math.floor(p / 5));
    const fixed = hints.min !== undefined && hints.max !== undefined;
    this.#fixed = data?.fixed ?? fixed;
    this.#lo = data?.lo ?? (fixed ? tame(hints.min!) : 0);
    this.#hi = data?.hi ?? (fixed ? tame(hints.max!) : 0);
    this.#buffer = data ? data.buffer && [...data.buffer] : fixed ? null : [];
    this.#sinceHigh = data?.sinceHigh ?? 0;
    this.#memory = new ContextMemory(data?.memory);
  }

  score(_ts: number, value: number): Score {
    if (!Number.isFinite(value) || this.#buffer) return out(0);
    value = tame(value);
    const [lo, hi] = this.#widened(value);
    const memory = this.#restarts(lo, hi) ? new ContextMemory() : this.#memory;
    const raw = memory.step(facts(value, lo, hi), false);
    return out(this.#sinceHigh >= this.#rest ? raw : 0);
  }

  update(ts: number, value: number): void {
    this.step(ts, value);
  }

  step(_ts: number, value: number): Score {
    // Non-finite values are skipped; clamping to ±1e306 keeps spans finite (math/finite.ts).
    if (!Number.isFinite(value)) return out(0);
    value = tame(value);
    const buffer = this.#buffer;
    if (buffer) {
      buffer.push(value);
      if (buffer.length === this.#rest) this.#startUp(buffer);
      return out(0);
    }
    return out(this.#learn(value));
  }

  snapshot(): DetectorState {
    const data: CadOseData = {
      rest: this.#rest,
      lo: this.#lo,
      hi: this.#hi,
      fixed: this.#fixed,
      buffer: this.#buffer && [...this.#buffer],
      sinceHigh: this.#sinceHigh,
      memory: this.#memory.toJSON(),
    };
    return { detector: 'cad-ose', version: 1, data };
  }

  #learn(value: number): number {
    const [lo, hi] = this.#widened(value);
    if (this.#restarts(lo, hi)) this.#memory = new ContextMemory();
    this.#lo = lo;
    this.#hi = hi;
    const raw = this.#memory.step(facts(value, this.#lo, this.#hi), true);
    const output = this.#sinceHigh >= this.#rest ? raw : 0;
    this.#sinceHigh = raw >= BASE_THRESHOLD ? 0 : this.#sinceHigh + 1;
    return output;
  }

  /**
   * Whether the memory starts afresh before this step (the range and the refractory history
   * stay): when the range widens to (lo, hi), because every fact then means another level and the
   * old contexts describe a signal that no longer exists; and, in strict mode, at `maxContexts`,
   * which bounds the state (CAD OSE's memory only grows) and, unlike freezing a full memory,
   * keeps it learning. NAB mode keeps every context, as CAD OSE.
   */
  #restarts(lo: number, hi: number): boolean {
    if (lo !== this.#lo || hi !== this.#hi) return true;
    return !this.#fixed && this.#memory.contexts >= this.#params.maxContexts;
  }

  /** Strict mode, after R values: estimate the range and replay them (their outputs are 0 anyway). */
  #startUp(buffer: number[]): void {
    const lo = Math.min(...buffer);
    const hi = Math.max(...buffer);
    const margin = this.#params.rangeMargin * (hi - lo);
    this.#lo = lo - margin;
    this.#hi = hi + margin;
    this.#buffer = null;
    for (const v of buffer) this.#learn(v);
  }

  /** The range after `value` (unchanged in NAB mode or when `value` is inside). */
  #widened(value: number): [number, number] {
    const lo = this.#lo;
    const hi = this.#hi;
    const m = this.#params.rangeMargin;
    if (this.#fixed || m === 0 || (value >= lo && value <= hi)) return [lo, hi];
    return value < lo ? [value - m * (hi - value), hi] : [lo, value + m * (value - lo)];
  }
}

/** The three facts of a value: bit k of its level q ∈ 0..7 becomes fact 2k + bit. */
function facts(value: number, lo: number, hi: number): number[] {
  const step = hi === lo ? 1 : (hi - lo) / LEVELS;
  let q = Math.trunc((value - lo) / step);
  q = q < 0 ? 0 : Math.min(q, LEVELS);
  return [q & 1, 2 + ((q >> 1) & 1), 4 + ((q >> 2) & 1)];
}

function out(score: number): Score {
  return { score, expected: Number.NaN, lower: Number.NaN, upper: Number.NaN };
}

const DEFAULTS: CadOseParams = { probation: 750, rangeMargin: 0.5, maxContexts: 16384 };

export const cadOse: DetectorFactory<CadOseParams> = {
  name: 'cad-ose',
  version: 1,
  afterglow: DEFAULT_AFTERGLOW,
  description: 'CAD OSE: contextual anomaly detector over a symbolic sequence memory (NAB 2016 winner).',
  // Its score is a final alarm value (with its own refractory mask), as NAB scores it: calibrated
  // again it loses 4 (strict) to 17 (NAB mode) points; docs/detectors.md.
  calibration: 'none',
  // NAB standard-profile optimum of the raw score in strict mode (0.703).
  threshold: 0.7,
  params: CadOseParams,
  defaults: DEFAULTS,
  // Worst case per context: its four fields (≤ 24 chars) and one new left semi-context of up to
  // 18 facts (≤ 200 chars) plus a right one (≤ 8); a step may overshoot the cap by what it creates.
  // (Strict mode; NAB mode keeps every context: art_noisy ends at 1.3 MB.)
  maxStateBytes: 240 * (DEFAULTS.maxContexts + 4096),
  create(params, state, hints) {
    return new CadOseDetector(params, hints, state?.data as CadOseData | undefined);
  },
};
