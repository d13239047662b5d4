/**
 * AlertingStore: alert rules, silences and incidents, each belonging to a tenant. Every method
 * that reads or changes a stored object takes its tenant and never sees another's; the two
 * `all…` reads and the alerter state are for the alerter alone (it serves every tenant) and no
 * HTTP route calls them. Embedded: SQLite `alerting.db` under the data dir; scaled out: PostgreSQL.
 */
import type { Incident } from '../core/alerting/incident.ts';
import type { AlertRule } from '../core/alerting/rule.ts';
import type { Silence } from '../core/alerting/silences.ts';

export interface IncidentQuery {
  status?: 'open' | 'resolved';
  limit: number;
}

export interface AlertingStore {
  /** The tenant's rules, by name. */
  listRules(tenant: string): Promise<AlertRule[]>;
  getRule(tenant: string, name: string): Promise<AlertRule | undefined>;
  /** Creates or replaces the rule of that name; `created` when it did not exist. */
  putRule(tenant: string, rule: AlertRule): Promise<'created' | 'replaced'>;
  /** False when there was none. */
  deleteRule(tenant: string, name: string): Promise<boolean>;
  /** Every tenant's rules (the alerter's start). */
  allRules(): Promise<{ tenant: string; rule: AlertRule }[]>;

  /** The tenant's silences that end after `nowMs`, oldest first. */
  listSilences(tenant: string, nowMs: number): Promise<Silence[]>;
  /** Stores `s` (its id chosen by the caller, unique). */
  createSilence(s: Silence): Promise<void>;
  deleteSilence(tenant: string, id: string): Promise<boolean>;
  /** Every tenant's silences that end after `nowMs`. */
  allSilences(nowMs: number): Promise<Silence[]>;

  /** Stores each incident's latest form (by tenant and id), replacing an older one. */
  putIncidents(incidents: readonly Incident[]): Promise<void>;
  /** Newest start first. */
  listIncidents(tenant: string, q: IncidentQuery): Promise<Incident[]>;
  getIncident(tenant: string, id: string): Promise<Incident | undefined>;

  /** The alerter's snapshot (JSON), saved with the incidents it produced; undefined before the first. */
  loadAlerterState(): Promise<string | undefined>;
  saveAlerterState(state: string, incidents: readonly Incident[]): Promise<void>;

  close(): Promise<void>;
}
