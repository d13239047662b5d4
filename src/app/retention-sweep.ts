/**
 * The embedded retention sweep: every `storage.retentionSweepMs`, each series' chunks whose points
 * are all older than its tenant's `limits.retentionMs` (by point timestamp, against the clock) are
 * dropped, with its closed anomalies that ended before that. The sweep walks the catalog in slices
 * of SLICE series; each slice is one transaction on store.db's writer thread, queued between
 * checkpoints, so ingest and queries never wait for more than one slice's delete.
 */

import { tenantOfTags } from '../core/series.ts';
import type { StoredDeletion } from '../ports/checkpoint-store.ts';
import type { SeriesInfo } from '../ports/series-catalog.ts';

/** Series per store transaction. */
export const SLICE = 1000;

/** The first sweep after the start comes this long after it at the latest. */
const FIRST_SWEEP_MS = 600_000;

export interface RetentionStats {
  sweeps: number;
  points: number;
  chunks: number;
  anomalies: number;
}

export interface RetentionSweepDeps {
  series(): Iterable<SeriesInfo>;
  /** The tenant's retention in ms; 0 = forever. */
  retentionOf(tenant: string): number;
  /** Drops series `ids[i]`'s data before `cutoffs[i]` (the engine thread's store). */
  retain(ids: Int32Array, cutoffs: Float64Array): Promise<StoredDeletion>;
  now(): number;
  /** Called with a sweep's failure (the next sweep tries again). */
  failed(err: Error): void;
}

export class RetentionSweep {
  readonly stats: RetentionStats = { sweeps: 0, points: 0, chunks: 0, anomalies: 0 };
  readonly #d: RetentionSweepDeps;
  #running: Promise<RetentionStats> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(deps: RetentionSweepDeps) {
    this.#d = deps;
  }

  /**
   * Sweeps every `intervalMs` (0: never) until `stop`, the first time FIRST_SWEEP_MS after the
   * start at the latest: a server restarted more often than the interval still sweeps.
   */
  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    const run = (next: number) => {
      this.#timer = setTimeout(() => {
        this.sweep()
          .catch((err: Error) => this.#d.failed(err))
          .finally(() => {
            if (!this.#stopped) run(intervalMs);
          });
      }, next);
      this.#timer.unref();
    };
    run(Math.min(intervalMs, FIRST_SWEEP_MS));
  }

  /** One sweep over every series now (joins the one running); resolves with what it removed. */
  sweep(): Promise<RetentionStats> {
    this.#running ??= this.#sweep().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Stops the timer and waits for a sweep in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => {});
  }

  async #sweep(): Promise<RetentionStats> {
    const now = this.#d.now();
    const cutoffOf = new Map<string, number>();
    const ids: number[] = [];
    const cutoffs: number[] = [];
    const removed: RetentionStats = { sweeps: 1, points: 0, chunks: 0, anomalies: 0 };
    const flush = async () => {
      if (ids.length === 0) return;
      const r = await this.#d.retain(Int32Array.from(ids), Float64Array.from(cutoffs));
      ids.length = 0;
      cutoffs.length = 0;
      removed.points += r.points;
      removed.chunks += r.chunks;
      removed.anomalies += r.anomalies;
    };
    try {
      for (const s of this.#d.series()) {
        const tenant = tenantOfTags(s.tags);
        let cutoff = cutoffOf.get(tenant);
        if (cutoff === undefined) {
          const keep = this.#d.retentionOf(tenant);
          cutoff = keep > 0 ? now - keep : Number.NEGATIVE_INFINITY;
          cutoffOf.set(tenant, cutoff);
        }
        if (cutoff === Number.NEGATIVE_INFINITY) continue;
        ids.push(s.id);
        cutoffs.push(cutoff);
        if (ids.length === SLICE) await flush();
      }
      await flush();
    } finally {
      // What earlier slices removed is gone even when a later one failed.
      this.stats.sweeps++;
      this.stats.points += removed.points;
      this.stats.chunks += removed.chunks;
      this.stats.anomalies += removed.anomalies;
    }
    return removed;
  }
}
