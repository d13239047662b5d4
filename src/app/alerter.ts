/**
 * The embedded alerter: feeds the engine's anomaly changes to the incident grouper (core/alerting)
 * under each tenant's rules and silences, hands the notifications it makes to a
 * NotificationOutbox, and stores the incidents and its own state (AlertingStore).
 *
 * Order, one change at a time: group → when the change makes notifications, save the grouper's
 * state with them as pending (write-ahead) → enqueue each (durable when it resolves) → the next
 * save drops them from pending. The sequence a notification carries is thus saved before it can
 * be delivered, so a restart never reuses a delivered sequence for other content (the outbox
 * would drop that as a duplicate); a restart re-enqueues what was pending. The incidents a batch
 * of changes touched are stored once each (an anomalous point per change would otherwise be a
 * write per point). The grouper's snapshot is saved with the incidents every tick, so a restart
 * resumes from it; the engine replays the anomaly changes made since its checkpoint, the grouper
 * takes a repeated form as no change, and the outbox ignores a repeated
 * (notifier, dedupKey, sequence) — nothing pages twice.
 *
 * Rules in force for a tenant: the config file's (every tenant) and its stored ones; `reload`
 * re-reads them (the API calls it after a change; scaled out, `vigil alerter` polls `reloadAll`).
 * Anomalies of a tenant the alerter has not seen yet wait for its rules to load. Embedded, the
 * engine thread feeds `anomalies`; scaled out, the anomalies topic does (app/alerter-role.ts),
 * committing its offsets after `checkpoint`.
 */
import type { Incident } from '../core/alerting/incident.ts';
import {
  type GrouperOutput,
  type GrouperSnapshot,
  IncidentGrouper,
  type Outgoing,
} from '../core/alerting/incidents.ts';
import { type AlertRule, compileRule } from '../core/alerting/rule.ts';
import { compileSilence } from '../core/alerting/silences.ts';
import { type Anomaly, anomalyId } from '../core/anomaly.ts';
import { parseSeriesKey, seriesKey, tenantOfTags, withoutTenant } from '../core/series.ts';
import type { AlertingStore } from '../ports/alerting-store.ts';
import type { NotificationOutbox } from '../ports/notification-outbox.ts';

export interface AlerterDeps {
  store: AlertingStore;
  outbox: NotificationOutbox;
  /** The rules in force for a tenant (config-file rules and stored ones). */
  rulesOf: (tenant: string) => Promise<readonly AlertRule[]>;
  /** The series key of a series id (the catalog). */
  seriesKeyOf: (seriesId: number) => Promise<string | undefined>;
  /** Wall clock, epoch ms. */
  now: () => number;
  /** `alerting.tickMs`: how often incidents resolve, repeats go out and the state is saved. */
  tickMs: number;
  /** A failure the alerter survives (it retries at the next change or tick). */
  onError: (err: unknown) => void;
  /** Base of the link in each notification (the server's URL); default: a path only. */
  baseUrl?: string;
  /**
   * After the first failure, do nothing more (no change, tick or save): the caller restarts from
   * the saved state and replays (scaled out). Default false: embedded, it goes on.
   */
  stopOnFailure?: boolean;
}

/** What `saveAlerterState` holds: the grouper's snapshot and the notifications not yet enqueued. */
interface SavedState {
  grouper: GrouperSnapshot;
  pending: Outgoing[];
}

/** The saved document; a state saved before `pending` existed is the grouper's snapshot alone. */
function parseSaved(doc: string): SavedState {
  const parsed = JSON.parse(doc) as Partial<SavedState>;
  if (parsed.grouper !== undefined) return { grouper: parsed.grouper, pending: parsed.pending ?? [] };
  return { grouper: parsed as GrouperSnapshot, pending: [] };
}

export class Alerter {
  readonly #d: AlerterDeps;
  readonly #grouper: IncidentGrouper;
  readonly #tenants = new Set<string>();
  readonly #keys = new Map<number, string>();
  /** Whether the grouper changed since its state was last saved. */
  #dirty = false;
  /** Incidents changed by the batch being processed, latest form each: stored once per batch. */
  #changed = new Map<string, Incident>();
  /** Every change, tick and reload runs in this one chain, in order. */
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** The first failure since start; `checkpoint` rethrows it (the state after it is not trusted). */
  #failure: { err: unknown } | undefined;

  private constructor(deps: AlerterDeps, state: GrouperSnapshot | undefined) {
    this.#d = deps;
    const base = deps.baseUrl ?? '';
    this.#grouper = new IncidentGrouper({ generatorURL: (i) => `${base}/api/v1/incidents/${i.id}` }, state);
  }

  /**
   * Restores the saved state, enqueues the notifications it left pending, loads the rules of the
   * tenants it holds incidents of, starts ticking.
   */
  static async start(deps: AlerterDeps): Promise<Alerter> {
    const doc = await deps.store.loadAlerterState();
    const saved = doc === undefined ? undefined : parseSaved(doc);
    const a = new Alerter(deps, saved?.grouper);
    if (saved !== undefined && saved.pending.length > 0) {
      await a.#enqueue(saved.pending);
      a.#dirty = true;
    }
    for (const inc of a.#grouper.openIncidents()) await a.#load(inc.tenant);
    a.#timer = setInterval(() => void a.tick(), deps.tickMs);
    a.#timer.unref();
    return a;
  }

  /** The engine's anomaly changes (EngineThreadDeps.onAnomalies). */
  anomalies(list: readonly Anomaly[]): void {
    this.#run(async () => {
      for (const a of list) await this.#process(a);
      await this.#storeChanged();
    });
  }

  /** Re-reads the tenant's rules and silences (after the API changed one). */
  reload(tenant: string): Promise<void> {
    return this.#run(async () => {
      if (this.#tenants.has(tenant)) await this.#load(tenant);
    });
  }

  /** Resolves what is due, sends repeats, saves the state (every `tickMs`; callable at once). */
  tick(): Promise<void> {
    return this.#run(() => this.#tick());
  }

  /** Re-reads the rules and silences of every tenant it holds (scaled out: a poll of the store). */
  reloadAll(): Promise<void> {
    return this.#run(async () => {
      for (const tenant of this.#tenants) await this.#load(tenant);
    });
  }

  /**
   * Resolves once every change handed in so far has been grouped, its notifications enqueued
   * (durable) and the incidents and the grouper's state saved: the point where a consumer may
   * commit its offsets. Rejects once any change, tick or reload has failed since start (the
   * notifications of that change may be missing): the caller MUST then start again from the
   * saved state and its committed offsets (the scaled-out alerter exits).
   */
  checkpoint(): Promise<void> {
    return this.#run(async () => {
      await this.#storeChanged();
      this.#dirty = true;
      await this.#save();
    }).then(() => {
      if (this.#failure !== undefined) throw this.#failure.err;
    });
  }

  /** Resolves once every change handed in so far has been grouped, enqueued and stored. */
  settled(): Promise<void> {
    return this.#run(async () => {});
  }

  /** Stops ticking and saves the state. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#run(() => this.#save());
  }

  #run(fn: () => Promise<void>): Promise<void> {
    const next = this.#chain
      .then(() => (this.#d.stopOnFailure === true && this.#failure !== undefined ? undefined : fn()))
      .catch((err: unknown) => {
        this.#failure ??= { err };
        this.#d.onError(err);
      });
    this.#chain = next;
    return next;
  }

  async #load(tenant: string): Promise<void> {
    const rules = await this.#d.rulesOf(tenant);
    const silences = await this.#d.store.listSilences(tenant, this.#d.now());
    this.#grouper.setRules(
      tenant,
      rules.map((r) => compileRule(r)),
    );
    this.#grouper.setSilences(tenant, silences.map(compileSilence));
    this.#tenants.add(tenant);
  }

  async #process(a: Anomaly): Promise<void> {
    let key = this.#keys.get(a.seriesId);
    if (key === undefined) {
      key = await this.#d.seriesKeyOf(a.seriesId);
      if (key === undefined) return;
      this.#keys.set(a.seriesId, key);
    }
    const { metric, tags } = parseSeriesKey(key);
    const tenant = tenantOfTags(tags);
    if (!this.#tenants.has(tenant)) await this.#load(tenant);
    const own = withoutTenant(tags);
    const out = this.#grouper.process(
      {
        id: anomalyId(a),
        tenant,
        seriesKey: seriesKey(metric, own),
        metric,
        tags: own,
        start: a.start,
        end: a.end,
        open: a.open,
        peakScore: a.peakScore,
        peakValue: a.peakValue,
        peakExpected: a.peakExpected,
        direction: a.direction,
      },
      this.#d.now(),
    );
    await this.#emit(out);
  }

  async #tick(): Promise<void> {
    await this.#emit(this.#grouper.tick(this.#d.now()));
    await this.#storeChanged();
    await this.#save();
  }

  async #emit(out: GrouperOutput): Promise<void> {
    if (out.incidents.length > 0 || out.notifications.length > 0) this.#dirty = true;
    for (const inc of out.incidents) this.#changed.set(`${inc.tenant}/${inc.id}`, inc);
    const due = out.notifications.filter((n) => n.notifiers.length > 0);
    if (due.length === 0) return;
    // Write-ahead: the sequences these carry are saved before any of them can be delivered.
    const changed = [...this.#changed.values()];
    this.#changed = new Map();
    await this.#d.store.saveAlerterState(this.#document(due), changed);
    await this.#enqueue(due);
  }

  async #enqueue(list: readonly Outgoing[]): Promise<void> {
    for (const n of list) await this.#d.outbox.enqueue(n.notifiers, n.notification);
  }

  #document(pending: Outgoing[]): string {
    const doc: SavedState = { grouper: this.#grouper.snapshot(), pending };
    return JSON.stringify(doc);
  }

  async #storeChanged(): Promise<void> {
    if (this.#changed.size === 0) return;
    const list = [...this.#changed.values()];
    this.#changed = new Map();
    await this.#d.store.putIncidents(list);
  }

  async #save(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    await this.#d.store.saveAlerterState(this.#document([]), []);
  }
}
