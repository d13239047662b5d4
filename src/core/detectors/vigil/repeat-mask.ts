/**
 * Post-rule: an event no stronger than one of the last `window` points is a repeat, and its score
 * is multiplied by `damping`. The soft refractory (soft-refractory.ts) only follows events above
 * its level; this also quiets the trains of weak events that a noisy series produces, each of
 * which NAB charges as a false positive wherever the threshold is low enough to count them. A
 * stronger event still comes through in full. `window` 0 turns it off.
 */
import { RecentMax } from './recent-max.ts';

export class RepeatMask {
  readonly #damping: number;
  readonly #recent: RecentMax | null;

  constructor(window: number, damping: number, data?: readonly number[]) {
    this.#damping = damping;
    this.#recent = window > 0 ? new RecentMax(window, data) : null;
  }

  /** The masked form of the undamped event score `raw` of the next point (no state change). */
  damp(raw: number): number {
    if (this.#recent === null || !(raw > 0)) return raw;
    return this.#recent.peek(0) >= raw ? raw * this.#damping : raw;
  }

  /** Moves to the next point; `raw` is its undamped event score (0 without an event). */
  push(raw: number): void {
    this.#recent?.push(raw);
  }

  /** The last `window` event scores, oldest first (empty when off). */
  toJSON(): number[] {
    return this.#recent?.toJSON() ?? [];
  }
}
