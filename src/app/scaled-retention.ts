/**
 * The retention sweep scaled out, run by `vigil api`: every `storage.retentionSweepMs`, for each
 * tenant with series and a retention (`limits.retentionMs`, per tenant), its points in InfluxDB
 * older than the cutoff are deleted (one InfluxQL DELETE on the tenant tag: a retention policy is
 * per database, and tenants share one) and its closed anomalies in PostgreSQL that ended before
 * it. Every API replica runs the timer, but each round first claims the sweep in PostgreSQL
 * (PgRetention.claim), so one replica sweeps per interval; both deletes are idempotent, so a
 * replica that dies mid-sweep leaves nothing wrong, only work for the next. The round also
 * finishes deletions a crash interrupted (./scaled-deletion.ts).
 */
import { DEFAULT_TENANT, TENANT_TAG } from '../core/series.ts';
import type { ScaledOut } from './backends.ts';
import type { RetentionStats } from './retention-sweep.ts';
import { finishDeletions } from './scaled-deletion.ts';

/** The first sweep after the start comes this long after it at the latest (as embedded). */
const FIRST_SWEEP_MS = 600_000;
const SWEEP_NAME = 'retention';

export interface ScaledRetentionDeps {
  out: Pick<ScaledOut, 'retention' | 'points' | 'tombstones' | 'catalog'>;
  /** The tenant's retention in ms; 0 = forever. */
  retentionOf(tenant: string): number;
  now(): number;
  /** Called with a round's failure (the next interval tries again). */
  failed(err: unknown): void;
}

export class ScaledRetentionSweep {
  readonly stats: RetentionStats = { sweeps: 0, points: 0, chunks: 0, anomalies: 0 };
  readonly #d: ScaledRetentionDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | null = null;
  #stopped = false;

  constructor(deps: ScaledRetentionDeps) {
    this.#d = deps;
  }

  /** Every `intervalMs` (0: never), the first FIRST_SWEEP_MS after the start at the latest, claims and sweeps. */
  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    const next = (delay: number) => {
      this.#timer = setTimeout(() => {
        this.#running = this.#claimed(intervalMs)
          .catch((err: unknown) => this.#d.failed(err))
          .finally(() => {
            this.#running = null;
            if (!this.#stopped) next(intervalMs);
          });
      }, delay);
      this.#timer.unref();
    };
    next(Math.min(intervalMs, FIRST_SWEEP_MS));
  }

  /** Stops the timer and waits for a round in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  async #claimed(intervalMs: number): Promise<void> {
    if (await this.#d.out.retention.claim(SWEEP_NAME, this.#d.now(), intervalMs)) await this.sweep();
  }

  /** One sweep now, without claiming it; resolves with what it removed (also added to `stats`). */
  async sweep(): Promise<RetentionStats> {
    const { out, retentionOf } = this.#d;
    const now = this.#d.now();
    const removed: RetentionStats = { sweeps: 1, points: 0, chunks: 0, anomalies: 0 };
    try {
      await finishDeletions(out, now);
      for (const tenant of await out.retention.tenants()) {
        const keep = retentionOf(tenant);
        if (keep <= 0) continue;
        const cutoff = now - keep;
        // The default tenant's series carry no tenant tag: `= ''` selects them in InfluxQL.
        removed.points += await out.points.deleteBefore(
          TENANT_TAG,
          tenant === DEFAULT_TENANT ? '' : tenant,
          cutoff,
        );
        removed.anomalies += await out.retention.deleteClosedAnomalies(tenant, cutoff);
      }
    } finally {
      // What earlier tenants' deletes removed is gone even when a later one failed.
      this.stats.sweeps++;
      this.stats.points += removed.points;
      this.stats.anomalies += removed.anomalies;
    }
    return removed;
  }
}
