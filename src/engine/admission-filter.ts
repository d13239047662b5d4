/**
 * The stream processor's operator for one partition: drops points that are not finite or out of
 * the accepted time range, exact duplicates and points later than the allowed lateness, keeping the
 * rest in order. It applies the engine's own admission rule (admission.ts), so the detectors
 * downstream score exactly what the embedded engine would; its state is only a cache — after a
 * restart the engine's identical rule still rejects what slips through.
 */
import { MAX_TS, MIN_TS } from '../core/point.ts';
import type { PointBatch } from '../ports/log.ts';
import { accept, admit, newClock, type SeriesClock } from './admission.ts';

export type FilterReason = 'too_late' | 'duplicate' | 'invalid';

export class AdmissionFilter {
  readonly #lateness: number;
  readonly #clocks = new Map<number, SeriesClock>();

  constructor(allowedLatenessMs: number) {
    this.#lateness = allowedLatenessMs;
  }

  get seriesCount(): number {
    return this.#clocks.size;
  }

  /** The admitted points of `batch`, in order (the same object when all pass). */
  filter(batch: PointBatch, rejected: (reason: FilterReason, n: number) => void): PointBatch {
    const n = batch.seriesIds.length;
    let keep: Uint8Array | undefined;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const sid = batch.seriesIds[i]!;
      const ts = batch.ts[i]!;
      let reason: FilterReason | undefined;
      if (!Number.isFinite(batch.values[i]!) || !(ts >= MIN_TS && ts <= MAX_TS)) reason = 'invalid';
      else {
        let c = this.#clocks.get(sid);
        if (c === undefined) {
          c = newClock();
          this.#clocks.set(sid, c);
        }
        const verdict = admit(c, ts, this.#lateness);
        if (verdict === 'duplicate' || verdict === 'too_late') reason = verdict;
        else accept(c, ts);
      }
      if (reason === undefined) {
        if (keep !== undefined) keep[i] = 1;
        kept++;
        continue;
      }
      rejected(reason, 1);
      if (keep === undefined) {
        keep = new Uint8Array(n);
        keep.fill(1, 0, i);
      }
    }
    if (keep === undefined) return batch;
    const out: PointBatch = {
      seriesIds: new Int32Array(kept),
      ts: new Float64Array(kept),
      values: new Float64Array(kept),
    };
    for (let i = 0, j = 0; i < n; i++) {
      if (keep[i] !== 1) continue;
      out.seriesIds[j] = batch.seriesIds[i]!;
      out.ts[j] = batch.ts[i]!;
      out.values[j] = batch.values[i]!;
      j++;
    }
    return out;
  }
}
