/**
 * Feedback: people's labels on anomalies, stored (FeedbackStore) and handed to the running
 * pipelines. Labelling is one call for a list of anomaly ids (an incident's members label the
 * same way). After every change the series' whole label set goes to its pipeline (`apply`:
 * embedded, the engine thread), so applying is idempotent: the store is the truth, the feedback
 * stage's state a copy of it, and `restore` at start sets every labelled series again — a
 * checkpoint taken before a change, or a label removed after the last checkpoint, is corrected.
 * Scaled out there is no `apply`: `vigil api` only stores, and each detector polls the store's
 * changes (./feedback-poll.ts).
 */
import type { FeedbackOut, FeedbackRequest, TenantFeedback } from '../adapters/http/feedback-routes.ts';
import type { QueryBackend } from '../adapters/http/query-routes.ts';
import { parseAnomalyId } from '../core/anomaly.ts';
import { VigilError } from '../core/errors.ts';
import type { FeedbackExample } from '../core/feedback/label.ts';
import { matches, parseSelector } from '../core/selector.ts';
import type { FeedbackRecord, FeedbackStore } from '../ports/feedback-store.ts';

/** Labels per series handed to its pipeline: the newest, as many as the feedback stage may keep. */
export const LABELS_PER_SERIES = 64;

export interface FeedbackServiceDeps {
  /** The query side as one tenant sees it (its series only). */
  queries: (tenant: string) => QueryBackend;
  store: FeedbackStore;
  /** Sets a series' labels (oldest first) in its running pipeline; absent where none runs here. */
  apply?: (seriesId: number, examples: FeedbackExample[]) => Promise<void>;
  newId: () => string;
  now: () => number;
}

export class FeedbackService implements TenantFeedback {
  readonly #d: FeedbackServiceDeps;

  constructor(deps: FeedbackServiceDeps) {
    this.#d = deps;
  }

  /**
   * Labels each anomaly of `anomalyIds` (all of `tenant`'s, else 404 and nothing stored) as
   * `request` says, replacing an earlier label on it; returns the stored labels.
   */
  async label(tenant: string, anomalyIds: readonly string[], request: FeedbackRequest, actor: string) {
    const q = this.#d.queries(tenant);
    const records: FeedbackRecord[] = [];
    for (const anomaly of anomalyIds) {
      const key = parseAnomalyId(anomaly);
      const found =
        key === undefined || (await q.seriesById(key.seriesId)) === undefined
          ? undefined
          : (
              await q.anomalies({ seriesIds: [key.seriesId], from: key.start, to: key.start + 1, limit: 100 })
            ).find((a) => a.start === key.start);
      if (found === undefined) {
        throw new VigilError('VIGIL_ERR_NOT_FOUND', `no anomaly ${anomaly}`, { location: { field: 'id' } });
      }
      records.push({
        id: this.#d.newId(),
        tenant,
        seriesId: found.seriesId,
        anomalyStart: found.start,
        label: request.label,
        note: request.note ?? '',
        actor,
        createdMs: this.#d.now(),
        peakValue: found.peakValue,
        peakExpected: found.peakExpected,
        peakScore: found.peakScore,
      });
    }
    await this.#d.store.put(records);
    await this.#sync(new Set(records.map((r) => r.seriesId)));
    return Promise.all(records.map((r) => this.#out(q, r)));
  }

  async list(
    tenant: string,
    filter: { series?: string; match?: string; limit: number },
  ): Promise<FeedbackOut[]> {
    const q = this.#d.queries(tenant);
    let ids: number[] | undefined;
    if (filter.series !== undefined) {
      const s = await q.seriesByKey(filter.series);
      ids = s === undefined ? [] : [s.id];
    }
    if (filter.match !== undefined) {
      const sel = parseSelector(filter.match);
      const m = [...(await q.series())].filter((s) => matches(sel, s.metric, s.tags)).map((s) => s.id);
      ids = ids === undefined ? m : ids.filter((id) => m.includes(id));
    }
    const records = await this.#d.store.list({
      tenant,
      ...(ids !== undefined ? { seriesIds: ids } : {}),
      limit: filter.limit,
    });
    return Promise.all(records.map((r) => this.#out(q, r)));
  }

  /** Removes a label of `tenant` (404 otherwise); its series' pipeline forgets it. */
  async remove(tenant: string, id: string): Promise<void> {
    const r = await this.#d.store.get(tenant, id);
    if (r === undefined || !(await this.#d.store.remove(tenant, id))) {
      throw new VigilError('VIGIL_ERR_NOT_FOUND', `no feedback ${id}`, { location: { field: 'id' } });
    }
    await this.#sync(new Set([r.seriesId]));
  }

  /**
   * Sets every labelled series' labels in the running pipelines (at start, after recovery). The
   * labels of `deleted` series (a crash came between a series deletion and its labels') go first.
   */
  async restore(deleted: ReadonlySet<number>): Promise<void> {
    const labelled = await this.#d.store.labelledSeries();
    await this.#d.store.deleteSeries(labelled.filter((id) => deleted.has(id)));
    await this.#sync(new Set(labelled.filter((id) => !deleted.has(id))));
  }

  async #sync(series: ReadonlySet<number>): Promise<void> {
    const apply = this.#d.apply;
    if (apply === undefined) return;
    for (const id of series) await apply(id, await examplesOf(this.#d.store, id));
  }

  async #out(q: QueryBackend, r: FeedbackRecord): Promise<FeedbackOut> {
    return {
      id: r.id,
      anomaly: `${r.seriesId}-${r.anomalyStart}`,
      series: (await q.seriesById(r.seriesId))?.key ?? String(r.seriesId),
      label: r.label,
      note: r.note,
      by: r.actor,
      at: r.createdMs,
    };
  }
}

/** The labels a series' pipeline learns: its newest LABELS_PER_SERIES, oldest first. */
export async function examplesOf(
  store: Pick<FeedbackStore, 'forSeries'>,
  seriesId: number,
): Promise<FeedbackExample[]> {
  return (await store.forSeries(seriesId, LABELS_PER_SERIES)).map(exampleOf);
}

function exampleOf(r: FeedbackRecord): FeedbackExample {
  return {
    id: r.id,
    label: r.label,
    start: r.anomalyStart,
    peakValue: r.peakValue,
    peakExpected: r.peakExpected,
    peakScore: r.peakScore,
  };
}
