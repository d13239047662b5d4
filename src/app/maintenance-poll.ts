/**
 * How maintenance windows reach the engine (docs/alerting.md, "Maintenance windows"): a round
 * reads every tenant's windows from the AlertingStore, resolves the series each one covers
 * against the series catalog (core/alerting/maintenance.ts) and hands the result to `apply` — the
 * engine thread embedded, every partition task of a `vigil detector` scaled out. Rounds run at
 * start, every `engine.configPollMs`, and at once when a silence changes through this process's
 * API (`poll`). A round resolves again only when the windows or the number of series changed; with
 * no window it reads nothing but the windows, so series pay nothing for the feature unused.
 */
import { type MaintenanceWindow, maintenanceCoverage } from '../core/alerting/maintenance.ts';
import type { Silence } from '../core/alerting/silences.ts';
import type { Tags } from '../core/series.ts';
import type { ScaledOut } from './backends.ts';
import { SerialRounds } from './serial-rounds.ts';

/**
 * Windows that ended this long ago still apply: a point's timestamp decides, and points of a
 * window may arrive late or wait in a backlog after it ended.
 */
export const MAINTENANCE_LOOKBACK_MS = 86_400_000;

export interface MaintenancePollDeps {
  /** Every tenant's silences that end after `sinceMs` (AlertingStore.allSilences). */
  silences(sinceMs: number): Promise<Silence[]>;
  /** How many series the catalog holds (a change means new series to resolve). */
  seriesCount(): Promise<number>;
  /** Every series of the catalog, with its stored tags (tenant tag included). */
  series(): Promise<Iterable<{ id: number; metric: string; tags: Tags }>>;
  /** Hands the windows of every covered series to the engine(s), replacing the previous set. */
  apply(windows: Map<number, MaintenanceWindow[]>): Promise<void>;
  now(): number;
  /** A timed round failed (it is retried at the next poll). */
  failed(err: unknown): void;
}

export class MaintenancePoll {
  readonly #d: MaintenancePollDeps;
  #current = new Map<number, MaintenanceWindow[]>();
  /** The windows and series count the current set was resolved from. */
  #resolvedFrom: string | undefined;
  /** Rounds run one after another: a change seen during a round gets a round of its own. */
  readonly #rounds = new SerialRounds(() => this.#round());

  constructor(deps: MaintenancePollDeps) {
    this.#d = deps;
  }

  /** The windows of every covered series as last applied (an engine created later takes them). */
  get current(): ReadonlyMap<number, readonly MaintenanceWindow[]> {
    return this.#current;
  }

  /** Runs the first round (its failure rejects: the caller starts without windows otherwise), then polls. */
  async start(intervalMs: number): Promise<void> {
    await this.poll();
    this.#rounds.every(intervalMs, this.#d.failed);
  }

  /** A round after any in flight; resolves with whether it applied a new set. */
  poll(): Promise<boolean> {
    return this.#rounds.run();
  }

  /** Stops polling and waits for the rounds in flight. */
  async stop(): Promise<void> {
    await this.#rounds.stop();
  }

  async #round(): Promise<boolean> {
    const windows = (await this.#d.silences(this.#d.now() - MAINTENANCE_LOOKBACK_MS)).filter(
      (s) => s.kind === 'maintenance',
    );
    // Silences are created and deleted, never edited: their ids tell a change.
    const count = windows.length === 0 ? 0 : await this.#d.seriesCount();
    const from = `${count}|${windows.map((w) => `${w.tenant}/${w.id}`).join(',')}`;
    if (from === this.#resolvedFrom) return false;
    const next = windows.length === 0 ? new Map() : maintenanceCoverage(windows, await this.#d.series());
    await this.#d.apply(next);
    this.#current = next;
    this.#resolvedFrom = from;
    return true;
  }
}

/**
 * Scaled out (`vigil detector`): windows from the PostgreSQL alerting store, series from the
 * PostgreSQL catalog, polled every `intervalMs`; `apply` hands them to the partition tasks.
 */
export async function startScaledMaintenance(
  out: Pick<ScaledOut, 'alerting' | 'catalog'>,
  intervalMs: number,
  apply: (windows: Map<number, MaintenanceWindow[]>) => void,
  failed: (err: unknown) => void,
): Promise<MaintenancePoll> {
  const poll = new MaintenancePoll({
    silences: (since) => out.alerting.allSilences(since),
    seriesCount: () => out.catalog.count(),
    series: () => out.catalog.all(),
    apply: async (windows) => apply(windows),
    now: Date.now,
    failed,
  });
  await poll.start(intervalMs);
  return poll;
}
