/**
 * The evidence-only tier: a point without an event scores `weight` × its evidence E, damped by
 * 1 − e^(−gap/τ) after the last alarm (gap = points since it). An alarm is an event above the
 * refractory level, or, on a point without an event, evidence above `alarmLevel` (0.5 is NuPIC's
 * "red" tail of 1e−5 on the log scale). With `weight` below every profile's optimal threshold the
 * tier ranks under all events: it changes nothing where the threshold stays among the events, and
 * where the optimum moves into it (NAB's low-FN profile without hints) it adds the strongest
 * statistical alarms that no event source saw, once per excursion. `weight` 0 turns it off.
 */

export class EvidenceTier {
  readonly #weight: number;
  readonly #alarmLevel: number;
  readonly #tau: number;
  /** Points since the last alarm; null before the first. */
  #since: number | null;

  constructor(weight: number, alarmLevel: number, tau: number, since: number | null = null) {
    this.#weight = weight;
    this.#alarmLevel = alarmLevel;
    this.#tau = tau;
    this.#since = since;
  }

  /** The score of the next point if it has no event, `evidence` in [0, 1] (no state change). */
  score(evidence: number): number {
    if (!(this.#weight > 0) || !(evidence > 0)) return 0;
    const s = this.#weight * evidence;
    if (this.#since === null || this.#tau <= 0) return s;
    return s * (1 - Math.exp(-(this.#since + 1) / this.#tau));
  }

  /**
   * Moves to the next point: `eventAlarm` says whether an event there rose above the refractory
   * level, `event` whether there was one at all, `evidence` its evidence.
   */
  observe(eventAlarm: boolean, event: boolean, evidence: number): void {
    if (eventAlarm || (!event && evidence > this.#alarmLevel)) this.#since = 0;
    else if (this.#since !== null) this.#since++;
  }

  toJSON(): number | null {
    return this.#since;
  }
}
