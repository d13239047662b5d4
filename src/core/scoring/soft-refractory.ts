/**
 * Post-rule: a soft refractory period. After an event (a score above `level`), later scores are
 * damped by 1 − e^(−gap/τ), gap being the points since that event, so a detector that keeps
 * firing on one anomaly reports it once, while a stronger or later one still comes through. NAB
 * rewards only the first detection in a window and charges every false positive, and ARTime and
 * CAD OSE each mask their own repeats; this does it for the combined score. τ = 0 turns it off.
 */

export class SoftRefractory {
  readonly #level: number;
  readonly #tau: number;
  /** Points since the last event; null before the first. */
  #since: number | null;

  constructor(level: number, tau: number, since: number | null = null) {
    this.#level = level;
    this.#tau = tau;
    this.#since = since;
  }

  /** The damped form of `score` for the next point (no state change). */
  damp(score: number): number {
    if (this.#since === null || this.#tau <= 0 || score <= 0) return score;
    return score * (1 - Math.exp(-(this.#since + 1) / this.#tau));
  }

  /** Moves to the next point; `score` is the undamped score there. */
  observe(score: number): void {
    if (score > this.#level) this.#since = 0;
    else if (this.#since !== null) this.#since++;
  }

  toJSON(): number | null {
    return this.#since;
  }
}
