/**
 * Event-time resampling of one series: raw points fall into buckets `[k·interval, (k+1)·interval)`
 * (aligned to the epoch), and a bucket is closed — its aggregate becomes the point the detector
 * scores, at the bucket's start — once the series' newest point is at least `allowedLatenessMs`
 * past the bucket's end, i.e. when no admissible point can still fall into it. Points that arrive
 * out of order within the lateness thus land in their bucket before it is scored, so the detector
 * sees the resampled series in order. Buckets without points are not emitted (no fill). Pure: the
 * engine owns one per resampled series and snapshots its open buckets with the detector state.
 */

import Type from 'typebox';
import { VigilError } from './errors.ts';
import { finiteOrNaN } from './math/finite.ts';

export const AGGREGATES = ['mean', 'sum', 'min', 'max', 'first', 'last', 'count'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export interface Resample {
  intervalMs: number;
  aggregate: Aggregate;
}

/** The JSON schema of a Resample (config file and HTTP API), with what it means where it is used. */
export function resampleSchema(description: string) {
  return Type.Object(
    {
      intervalMs: Type.Integer({ minimum: 1, description: 'bucket width in ms; buckets align to the epoch' }),
      aggregate: Type.Union(
        AGGREGATES.map((a) => Type.Literal(a)),
        { description: 'what a bucket becomes: mean, sum, min, max, first, last or count' },
      ),
    },
    { additionalProperties: false, description },
  );
}

/** Most buckets a series may hold open at once (`ceil(lateness / interval) + 1`). */
export const MAX_OPEN_BUCKETS = 1024;

/** Why `r` cannot be used with this lateness, or undefined when it can. */
export function resampleProblem(r: Resample, allowedLatenessMs: number): string | undefined {
  if (!Number.isSafeInteger(r.intervalMs) || r.intervalMs < 1) {
    return `resample.intervalMs must be a positive integer (got ${r.intervalMs})`;
  }
  if (!(AGGREGATES as readonly string[]).includes(r.aggregate)) {
    return `resample.aggregate must be one of ${AGGREGATES.join(', ')} (got ${JSON.stringify(r.aggregate)})`;
  }
  if (Math.ceil(allowedLatenessMs / r.intervalMs) + 1 > MAX_OPEN_BUCKETS) {
    return (
      `resample.intervalMs ${r.intervalMs} is too small for engine.allowedLatenessMs ${allowedLatenessMs}: ` +
      `a series would hold more than ${MAX_OPEN_BUCKETS} open buckets (use at least ` +
      `${Math.ceil(allowedLatenessMs / (MAX_OPEN_BUCKETS - 1))} ms)`
    );
  }
  return undefined;
}

/** Throws VIGIL_ERR_BAD_REQUEST (field `resample`) when `r` cannot be used with this lateness. */
export function checkResample(r: Resample, allowedLatenessMs: number): void {
  const problem = resampleProblem(r, allowedLatenessMs);
  if (problem !== undefined) {
    throw new VigilError('VIGIL_ERR_BAD_REQUEST', problem, { location: { field: 'resample' } });
  }
}

/** Fields per bucket in a snapshot: start, n, sum, min, max, first, firstTs, last, lastTs. */
const FIELDS = 9;

export class Resampler {
  readonly #interval: number;
  readonly #aggregate: Aggregate;
  /** Open buckets, flattened FIELDS numbers each, ascending by start. */
  #open: number[] = [];

  constructor(r: Resample, snapshot?: readonly number[]) {
    this.#interval = r.intervalMs;
    this.#aggregate = r.aggregate;
    if (snapshot !== undefined) {
      if (snapshot.length % FIELDS !== 0) throw new Error('resampler snapshot: bad length');
      this.#open = [...snapshot];
    }
  }

  get openBuckets(): number {
    return this.#open.length / FIELDS;
  }

  /** Adds an admitted point (the engine's admission rule ran first). */
  add(ts: number, value: number): void {
    const start = Math.floor(ts / this.#interval) * this.#interval;
    const o = this.#open;
    // Most points belong to the newest bucket: search from the end.
    let i = o.length - FIELDS;
    while (i >= 0 && o[i]! > start) i -= FIELDS;
    if (i >= 0 && o[i] === start) {
      o[i + 1]! += 1;
      // Clamped: an overflowing sum would be lost in a snapshot (JSON has no Infinity).
      o[i + 2] = finiteOrNaN(o[i + 2]! + value);
      if (value < o[i + 3]!) o[i + 3] = value;
      if (value > o[i + 4]!) o[i + 4] = value;
      if (ts < o[i + 6]!) {
        o[i + 5] = value;
        o[i + 6] = ts;
      }
      if (ts > o[i + 8]!) {
        o[i + 7] = value;
        o[i + 8] = ts;
      }
      return;
    }
    o.splice(i + FIELDS, 0, start, 1, value, value, value, value, ts, value, ts);
  }

  /**
   * Closes, oldest first, every bucket whose end is at least `allowedLatenessMs` behind
   * `watermark` (the series' newest timestamp), calling `emit` with its start and aggregate.
   */
  close(watermark: number, allowedLatenessMs: number, emit: (ts: number, value: number) => void): void {
    const o = this.#open;
    let k = 0;
    while (k < o.length && o[k]! + this.#interval + allowedLatenessMs <= watermark) {
      emit(o[k]!, this.#value(k));
      k += FIELDS;
    }
    if (k > 0) o.splice(0, k);
  }

  #value(i: number): number {
    const o = this.#open;
    switch (this.#aggregate) {
      case 'mean':
        return o[i + 2]! / o[i + 1]!;
      case 'sum':
        return o[i + 2]!;
      case 'min':
        return o[i + 3]!;
      case 'max':
        return o[i + 4]!;
      case 'first':
        return o[i + 5]!;
      case 'last':
        return o[i + 7]!;
      case 'count':
        return o[i + 1]!;
    }
  }

  snapshot(): number[] {
    return [...this.#open];
  }
}
