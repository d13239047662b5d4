/**
 * ARTime as vigil's event source, in both harness modes.
 *
 * Under NAB rules (`hints.probationaryLength` given) it is one ARTime with the hints. Without them
 * ARTime needs a probation P that it cannot know: P sets its downsampling (P/104 points per step)
 * and so its time scale, and nothing is emitted before P. Two instances cover that: a short one
 * (P = `shortProbation`, no downsampling) speaks for the first `longProbation` points, then the
 * long one (P = `longProbation`, NAB's cap, with its own range estimate) takes over and the short
 * one is dropped. The long one keeps at most `longMaxCategories` categories (ARTime replaces the
 * least recently resonating beyond that), which bounds its state at about 46 KB. Measured on NAB in
 * strict mode (standard profile), alone / inside vigil: short only 61.8 / 70.4, long only (silent for
 * the first 750 points) 59.6 / 70.3, staged 65.0 / 72.1.
 *
 * State before the handoff: the values seen so far (8 bytes each), not the two instances. The short
 * one learns up to one category a point (321 on NAB, 110 KB), while the values are at most 6 KB,
 * and replaying them rebuilds both exactly (ARTime reads values only, not timestamps).
 */
import { type Detector, type DetectorHints, type DetectorState, stepOf } from '../detector.ts';
import type { DetectorSource } from '../source.ts';
import { base64ToFloat64, float64ToBase64 } from '../state-codec.ts';

export interface StagedArtimeOptions {
  shortProbation: number;
  longProbation: number;
  longRangeMargin: number;
  longMaxCategories: number;
}

/**
 * Before the handoff, `seen` (the values so far, float64 base64) and no instance states; after it,
 * `long` alone. States written before `seen` existed hold both instances; they restore as well.
 */
export interface StagedArtimeData {
  /** False under NAB rules (one instance, `long`). */
  staged: boolean;
  /** Points seen, up to the handoff; the short instance speaks while t < longProbation. */
  t: number;
  short: DetectorState | null;
  long: DetectorState | null;
  seen?: string;
}

export class StagedArtime {
  readonly #handoff: number;
  #t: number;
  #short: Detector | null;
  readonly #long: Detector;
  /** The values of the first `t` points while t < handoff (what a snapshot holds then). */
  #seen: Float64Array | null;

  constructor(
    source: DetectorSource,
    o: StagedArtimeOptions,
    hints: DetectorHints = {},
    data?: StagedArtimeData,
  ) {
    if (data !== undefined ? !data.staged : hints.probationaryLength !== undefined) {
      // NAB rules: one ARTime, as given.
      this.#handoff = 0;
      this.#t = 0;
      this.#short = null;
      this.#seen = null;
      this.#long = source.create('artime', {}, data?.long ?? undefined, hints);
      return;
    }
    this.#handoff = o.longProbation;
    const seen = data?.seen !== undefined ? base64ToFloat64(data.seen) : null;
    // Replayed from the values, the instances start fresh and the count from 0.
    this.#t = seen !== null ? 0 : (data?.t ?? 0);
    const short = seen === null ? (data?.short ?? undefined) : undefined;
    this.#short =
      this.#t < this.#handoff ? source.create('artime', { probation: o.shortProbation }, short, hints) : null;
    this.#long = source.create(
      'artime',
      { probation: o.longProbation, rangeMargin: o.longRangeMargin, maxCategories: o.longMaxCategories },
      seen === null ? (data?.long ?? undefined) : undefined,
      hints,
    );
    this.#seen = this.#t < this.#handoff ? new Float64Array(this.#handoff) : null;
    if (seen !== null) for (const v of seen) this.step(0, v);
  }

  score(ts: number, value: number): number {
    const speaker = this.#t < this.#handoff ? this.#short! : this.#long;
    return speaker.score(ts, value).score;
  }

  step(ts: number, value: number): number {
    const long = stepOf(this.#long, ts, value).score;
    if (this.#t >= this.#handoff) return long;
    const short = stepOf(this.#short!, ts, value).score;
    this.#seen![this.#t] = value;
    if (++this.#t === this.#handoff) {
      this.#short = null;
      this.#seen = null;
    }
    return short;
  }

  toJSON(): StagedArtimeData {
    const staged = this.#handoff > 0;
    if (this.#seen !== null) {
      const seen = float64ToBase64(this.#seen.subarray(0, this.#t));
      return { staged, t: this.#t, short: null, long: null, seen };
    }
    return { staged, t: this.#t, short: null, long: this.#long.snapshot() };
  }
}
