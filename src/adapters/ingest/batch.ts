/**
 * The accumulator every ingest parser fills: the points of one request, what it skipped, and the
 * per-request series index that finds duplicates. Parsers own their error messages; this class
 * only answers "is this series new?" and "which earlier point has this series and ts?".
 */
import { type ErrorLocation, VigilError } from '../../core/errors.ts';
import type { IngestPoint } from '../../core/point.ts';
import type { Tags } from '../../core/series.ts';
import type { IngestBatch } from '../../ports/ingest-format.ts';

export type { IngestBatch } from '../../ports/ingest-format.ts';

/** One distinct series of the request. */
export interface SeriesSlot {
  readonly key: string;
  readonly metric: string;
  readonly tags: Tags;
  /** Highest ts seen so far and the index of its point: the fast duplicate check. */
  maxTs: number;
  maxAt: number;
  /** ts → point index; only built once some series arrives out of order. */
  seen: Map<number, number> | null;
}

export class BatchBuilder {
  readonly points: IngestPoint[] = [];
  /** Canonical series key of each point, parallel to `points`. */
  readonly keys: string[] = [];
  readonly skipped: Record<string, number> = {};
  readonly maxPoints: number;
  readonly #series = new Map<string, SeriesSlot>();
  // Slot of each point, so the exact index can be built when the fast check stops being enough.
  readonly #slotOf: SeriesSlot[] = [];
  #ordered = true;

  constructor(maxPoints: number) {
    this.maxPoints = maxPoints;
  }

  /** The slot of an already seen series, or undefined: the caller validates, then calls addSeries. */
  series(key: string): SeriesSlot | undefined {
    return this.#series.get(key);
  }

  addSeries(key: string, metric: string, tags: Tags): SeriesSlot {
    const slot: SeriesSlot = {
      key,
      metric,
      tags,
      maxTs: Number.NEGATIVE_INFINITY,
      maxAt: -1,
      seen: this.#ordered ? null : new Map(),
    };
    this.#series.set(key, slot);
    return slot;
  }

  get full(): boolean {
    return this.points.length >= this.maxPoints;
  }

  /**
   * Appends a point of `slot`. Returns -1, or the index of the earlier point with the same series
   * and ts, in which case nothing is appended. The caller checks {@link full} first.
   */
  push(slot: SeriesSlot, ts: number, value: number): number {
    const at = this.points.length;
    // Points of a series usually arrive in ts order; then comparing with the maximum suffices.
    if (this.#ordered) {
      if (ts > slot.maxTs) {
        slot.maxTs = ts;
        slot.maxAt = at;
      } else if (ts === slot.maxTs) {
        return slot.maxAt;
      } else {
        this.#buildIndex();
      }
    }
    if (!this.#ordered) {
      const seen = slot.seen!;
      const prev = seen.get(ts);
      if (prev !== undefined) return prev;
      seen.set(ts, at);
    }
    this.#slotOf.push(slot);
    this.points.push({ metric: slot.metric, tags: slot.tags, ts, value });
    this.keys.push(slot.key);
    return -1;
  }

  skip(reason: string, count = 1): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + count;
  }

  result(): IngestBatch {
    return { points: this.points, skipped: this.skipped, keys: this.keys };
  }

  #buildIndex(): void {
    this.#ordered = false;
    for (const slot of this.#series.values()) slot.seen = new Map();
    const points = this.points;
    const slotOf = this.#slotOf;
    for (let i = 0; i < points.length; i++) slotOf[i]!.seen!.set(points[i]!.ts, i);
  }
}

/** VIGIL_ERR_BATCH_TOO_LARGE for the point at `at` (e.g. "line 1001"), the first one over the limit. */
export function batchTooLarge(maxPoints: number, at: string, location: ErrorLocation): VigilError {
  return new VigilError(
    'VIGIL_ERR_BATCH_TOO_LARGE',
    `${at}: request carries more than ${maxPoints} points (ingest.maxPointsPerRequest)`,
    { location },
  );
}

/** Shortens user input quoted in an error message. */
export function excerpt(s: string, max = 64): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}
