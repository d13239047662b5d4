/**
 * Two "never seen before" measures for `vigil-rank` (vigil-rank.ts), each a ratio of now to the
 * most the series has shown earlier, each O(1) per point:
 *
 * - **Stuck runs** (`StuckRuns`): the number of consecutive points equal to the one before, over
 *   the longest such run that ended earlier. A sensor or exporter that freezes repeats one value;
 *   a series that never held a value for more than a few points and now holds one for dozens is
 *   news, whatever its level.
 * - **Roughness** (`Roughness`): the mean |second difference| over the last `window` points, over
 *   the largest such mean of windows that ended at least `window` points earlier. Added noise,
 *   glitches, jitter or a burst of sharp steps raise it while they last; a ramp adds nothing and
 *   one step of height h adds 2h/window for one window.
 *
 * `RecordTiers` turns both into one score above every other: a record scores in [low, 1], stuck
 * runs in the upper half, roughness in the lower (the kind more rarely natural on top), each
 * ordered by its ratio. Values arrive finite (the caller tames them).
 */
import Type from 'typebox';
import { base64ToFloat64, float64ToBase64 } from '../state-codec.ts';

/** A measure at one point: its value now, and the most it reached earlier (0 when nothing yet). */
export interface RecordRatio {
  readonly now: number;
  readonly before: number;
}

export interface StuckRunsData {
  last: number;
  /** Repeats of `last` so far; −1 before the first value. */
  run: number;
  longest: number;
}

export class StuckRuns {
  #last = 0;
  #run = -1;
  #longest = 0;

  constructor(data?: StuckRunsData) {
    if (data === undefined) return;
    this.#last = data.last;
    this.#run = data.run;
    this.#longest = data.longest;
  }

  /** The run `x` would make (repeats of the value before it) and the longest earlier run. */
  peek(x: number): RecordRatio {
    if (this.#run >= 0 && x === this.#last) return { now: this.#run + 1, before: this.#longest };
    return { now: 0, before: Math.max(this.#longest, this.#run) };
  }

  push(x: number): RecordRatio {
    const r = this.peek(x);
    this.#longest = r.before;
    this.#run = r.now;
    this.#last = x;
    return r;
  }

  snapshot(): StuckRunsData {
    return { last: this.#last, run: this.#run, longest: this.#longest };
  }
}

export interface RoughnessData {
  /** Points seen. */
  n: number;
  prev1: number;
  prev2: number;
  /** |second difference| of the last `window` points, and their window means (ring order; base64 float64). */
  diffs: string;
  means: string;
  /** The ring's sum as carried (restored as is, so a restored detector continues bit for bit). */
  sum: number;
  max: number;
}

export class Roughness {
  readonly #window: number;
  readonly #from: number;
  #n = 0;
  #prev1 = 0;
  #prev2 = 0;
  readonly #diffs: Float64Array;
  readonly #means: Float64Array;
  #sum = 0;
  #max = 0;

  constructor(window: number, from: number, data?: RoughnessData) {
    this.#window = window;
    this.#from = from;
    this.#diffs = new Float64Array(window);
    this.#means = new Float64Array(window);
    if (data === undefined) return;
    this.#n = data.n;
    this.#prev1 = data.prev1;
    this.#prev2 = data.prev2;
    this.#diffs.set(base64ToFloat64(data.diffs));
    this.#means.set(base64ToFloat64(data.means));
    this.#max = data.max;
    this.#sum = data.sum;
  }

  /** Points seen. */
  get points(): number {
    return this.#n;
  }

  /** The window mean `x` would make, and the largest mean of windows ending `window` or more points before it. */
  peek(x: number): RecordRatio {
    return { now: this.#meanWith(this.#sumWith(this.#diff(x))), before: this.#maxBefore() };
  }

  push(x: number): RecordRatio {
    const d = this.#diff(x);
    const sum = this.#sumWith(d);
    const r = { now: this.#meanWith(sum), before: this.#maxBefore() };
    const i = this.#n % this.#window;
    this.#sum = sum;
    this.#diffs[i] = d;
    this.#max = r.before;
    this.#means[i] = this.#n >= this.#from ? r.now : 0;
    this.#prev2 = this.#prev1;
    this.#prev1 = x;
    this.#n++;
    return r;
  }

  snapshot(): RoughnessData {
    return {
      n: this.#n,
      prev1: this.#prev1,
      prev2: this.#prev2,
      diffs: float64ToBase64(this.#diffs),
      means: float64ToBase64(this.#means),
      sum: this.#sum,
      max: this.#max,
    };
  }

  #diff(x: number): number {
    return this.#n >= 2 ? Math.abs(x - 2 * this.#prev1 + this.#prev2) : 0;
  }

  /**
   * The ring's sum with `d` in the next slot: updated by the difference, and summed afresh each
   * time the ring wraps, so rounding never accumulates.
   */
  #sumWith(d: number): number {
    const w = this.#window;
    const i = this.#n % w;
    if (i < w - 1) return this.#sum - this.#diffs[i]! + d;
    let s = d;
    for (let k = 0; k < w - 1; k++) s += this.#diffs[k]!;
    return s;
  }

  #meanWith(sum: number): number {
    return this.#n + 1 >= this.#window ? sum / this.#window : 0;
  }

  /** The running maximum once the mean leaving the ring (pushed `window` points ago) is counted. */
  #maxBefore(): number {
    return Math.max(this.#max, this.#means[this.#n % this.#window]!);
  }
}

/** The records' params, shared by the schemas of `vigil-events` and `vigil-rank` (each adds `recordWarmup`). */
export const RecordParamsSchema = {
  roughWindow: Type.Integer({
    minimum: 4,
    maximum: 4096,
    default: 64,
    description: 'points in the roughness window (mean |second difference|)',
  }),
  roughFactor: Type.Number({
    minimum: 1,
    default: 2,
    description: 'roughness record: at least this × its earlier maximum',
  }),
  stuckMin: Type.Integer({
    minimum: 1,
    default: 16,
    description: 'stuck record: the shortest run of one repeated value that can be one (points)',
  }),
  stuckFactor: Type.Number({
    minimum: 1,
    default: 2,
    description: 'stuck record: longer than this × the longest earlier run',
  }),
};

/** The defaults of RecordParamsSchema. */
export const RECORD_DEFAULTS = { roughWindow: 64, roughFactor: 2, stuckMin: 16, stuckFactor: 2 };

export interface RecordParams {
  /** Points before a record can be scored; roughness is remembered from half that on. */
  recordWarmup: number;
  roughWindow: number;
  /** A roughness record is at least this × the earlier maximum. */
  roughFactor: number;
  /** A stuck record is a run of at least this many repeats, begun after half the warm-up… */
  stuckMin: number;
  /** …longer than this × the longest earlier run. */
  stuckFactor: number;
}

export interface RecordTiersData {
  rough: RoughnessData;
  stuck: StuckRunsData;
  /** The ratio at which the record under way was last scored (absent: none under way). */
  roughAt?: number;
  stuckAt?: number;
}

/**
 * A record that continues is scored again only when its ratio has grown by this factor since it
 * was last scored: a burst or a stuck stretch of k points raises O(log k) alarms, not k, and its
 * largest ratio still reaches the score within this factor.
 */
export const RECORD_STEP = 1.25;
/** The ratio of a record over an earlier maximum of 0. */
const RATIO_CAP = 1e6;

/** Roughness and stuck records as one score in [low, 1] (0 at a point that is neither). */
export class RecordTiers {
  readonly #p: RecordParams;
  readonly #low: number;
  readonly #mid: number;
  readonly #rough: Roughness;
  readonly #stuck: StuckRuns;
  #roughAt: number;
  #stuckAt: number;

  constructor(p: RecordParams, low: number, data?: RecordTiersData) {
    this.#p = p;
    this.#low = low;
    this.#mid = low + (1 - low) / 2;
    this.#rough = new Roughness(p.roughWindow, p.recordWarmup / 2, data?.rough);
    this.#stuck = new StuckRuns(data?.stuck);
    this.#roughAt = data?.roughAt ?? 0;
    this.#stuckAt = data?.stuckAt ?? 0;
  }

  /** The record score `x` would get, without learning it. */
  peek(x: number): number {
    return this.#judge(this.#rough.points, this.#rough.peek(x), this.#stuck.peek(x)).score;
  }

  push(x: number): number {
    const points = this.#rough.points;
    const j = this.#judge(points, this.#rough.push(x), this.#stuck.push(x));
    this.#roughAt = j.roughAt;
    this.#stuckAt = j.stuckAt;
    return j.score;
  }

  snapshot(): RecordTiersData {
    return {
      rough: this.#rough.snapshot(),
      stuck: this.#stuck.snapshot(),
      ...(this.#roughAt > 0 ? { roughAt: this.#roughAt } : {}),
      ...(this.#stuckAt > 0 ? { stuckAt: this.#stuckAt } : {}),
    };
  }

  /** `points`: points seen before this one. */
  #judge(
    points: number,
    rough: RecordRatio,
    stuck: RecordRatio,
  ): { score: number; roughAt: number; stuckAt: number } {
    const p = this.#p;
    let score = 0;
    let roughAt = 0;
    let stuckAt = 0;
    if (points < p.recordWarmup) return { score, roughAt, stuckAt };
    const rr = ratio(rough);
    if (rough.now > 0 && rr >= p.roughFactor) {
      roughAt = this.#roughAt;
      if (roughAt === 0 || rr >= roughAt * RECORD_STEP) {
        score = this.#low + (this.#mid - this.#low) * (1 - 1 / rr);
        roughAt = rr;
      }
    }
    // A run that began before the maximum of roughness is kept (half the warm-up) is how the
    // series started, not a change: a metric constant from its first point is not stuck.
    const began = points - stuck.now;
    const sr = ratio(stuck);
    if (began >= p.recordWarmup / 2 && stuck.now >= p.stuckMin && sr > p.stuckFactor) {
      stuckAt = this.#stuckAt;
      if (stuckAt === 0 || sr >= stuckAt * RECORD_STEP) {
        score = Math.max(score, this.#mid + (1 - this.#mid) * (1 - 1 / sr));
        stuckAt = sr;
      }
    }
    return { score, roughAt, stuckAt };
  }
}

/** now / before, RATIO_CAP when before is 0. */
function ratio(r: RecordRatio): number {
  return r.before > 0 ? Math.min(r.now / r.before, RATIO_CAP) : RATIO_CAP;
}
