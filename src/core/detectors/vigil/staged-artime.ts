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
 */
import { type Detector, type DetectorHints, type DetectorState, stepOf } from '../detector.ts';
import type { DetectorSource } from '../source.ts';

export interface StagedArtimeOptions {
  shortProbation: number;
  longProbation: number;
  longRangeMargin: number;
  longMaxCategories: number;
}

export interface StagedArtimeData {
  /** False under NAB rules (one instance, `long`). */
  staged: boolean;
  /** Points seen, up to the handoff; the short instance speaks while t < longProbation. */
  t: number;
  short: DetectorState | null;
  long: DetectorState;
}

export class StagedArtime {
  readonly #handoff: number;
  #t: number;
  #short: Detector | null;
  readonly #long: Detector;

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
      this.#long = source.create('artime', {}, data?.long, hints);
      return;
    }
    this.#handoff = o.longProbation;
    this.#t = data?.t ?? 0;
    this.#short =
      this.#t < this.#handoff
        ? source.create('artime', { probation: o.shortProbation }, data?.short ?? undefined, hints)
        : null;
    this.#long = source.create(
      'artime',
      { probation: o.longProbation, rangeMargin: o.longRangeMargin, maxCategories: o.longMaxCategories },
      data?.long,
      hints,
    );
  }

  score(ts: number, value: number): number {
    const speaker = this.#t < this.#handoff ? this.#short! : this.#long;
    return speaker.score(ts, value).score;
  }

  step(ts: number, value: number): number {
    const long = stepOf(this.#long, ts, value).score;
    if (this.#t >= this.#handoff) return long;
    const short = stepOf(this.#short!, ts, value).score;
    if (++this.#t === this.#handoff) this.#short = null;
    return short;
  }

  toJSON(): StagedArtimeData {
    return {
      staged: this.#handoff > 0,
      t: this.#t,
      short: this.#short?.snapshot() ?? null,
      long: this.#long.snapshot(),
    };
  }
}
