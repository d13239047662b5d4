/**
 * NAB's "spatial anomaly" rule (used by its HTM detector): a value beyond every earlier value by
 * more than `tolerance` × their range. It needs no range hint and fires rarely, and only on what
 * is new: a record high or low after the series has shown at least two distinct values.
 */
import { tame } from '../math/finite.ts';

export type ExtremeData = [min: number, max: number] | null;

export class NewExtreme {
  readonly #tolerance: number;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  constructor(tolerance: number, data: ExtremeData = null) {
    this.#tolerance = tolerance;
    if (data !== null) [this.#min, this.#max] = data;
  }

  /** Whether `value` is a new extreme against the values observed so far (no state change). */
  test(value: number): boolean {
    if (!(this.#max > this.#min) || !Number.isFinite(value)) return false;
    const v = tame(value);
    const margin = this.#tolerance * (this.#max - this.#min);
    return v > this.#max + margin || v < this.#min - margin;
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const v = tame(value);
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  toJSON(): ExtremeData {
    return this.#max >= this.#min ? [this.#min, this.#max] : null;
  }
}
