/**
 * The alerting service behind the HTTP routes: rules from the config file (read-only, they apply
 * to every tenant) beside the tenant's stored rules, silences with ids and authors, incidents as
 * the alerter stored them. Each change is stored first, then reported through `changed(tenant)`
 * so the alerter reloads that tenant's rules and silences at once.
 */
import { randomBytes } from 'node:crypto';
import type { AlertingAdmin, RuleSource } from '../adapters/http/alerting-routes.ts';
import { type AlertRule, checkNotifiers } from '../core/alerting/rule.ts';
import { parseSilenceInput, type Silence } from '../core/alerting/silences.ts';
import { VigilError } from '../core/errors.ts';
import type { AlertingStore } from '../ports/alerting-store.ts';

export interface AlertingServiceOptions {
  store: AlertingStore;
  /** `alerting.rules`, already checked. */
  configRules: readonly AlertRule[];
  /** The names of `alerting.notifiers`: a rule may name only these. */
  notifiers: readonly string[];
  now: () => number;
  /** Called after a tenant's rules or silences changed. */
  changed?: (tenant: string) => void;
  /**
   * Awaited after a silence was created or deleted, before the request is answered: the embedded
   * engine takes the maintenance windows then, so points ingested after the answer see them.
   */
  silencesChanged?: () => Promise<void>;
  /** Per-tenant caps (limits.maxAlertRules, limits.maxSilences) and the refusal count; absent: none. */
  limits?: {
    rulesOf(tenant: string): number;
    silencesOf(tenant: string): number;
    refused(tenant: string, limit: string): void;
  };
}

export class AlertingService implements AlertingAdmin {
  readonly #o: AlertingServiceOptions;
  readonly #config: Map<string, AlertRule>;

  constructor(o: AlertingServiceOptions) {
    this.#o = o;
    this.#config = new Map(o.configRules.map((r) => [r.name, r]));
  }

  /** Every rule in force for `tenant`: the config file's, then the stored ones. */
  async rulesOf(tenant: string): Promise<AlertRule[]> {
    return (await this.listRules(tenant)).map((r) => r.rule);
  }

  async listRules(tenant: string): Promise<{ rule: AlertRule; source: RuleSource }[]> {
    const stored = await this.#o.store.listRules(tenant);
    return [
      ...[...this.#config.values()].map((rule) => ({ rule, source: 'config' as const })),
      ...stored.filter((r) => !this.#config.has(r.name)).map((rule) => ({ rule, source: 'api' as const })),
    ];
  }

  async getRule(tenant: string, name: string): Promise<{ rule: AlertRule; source: RuleSource } | undefined> {
    const config = this.#config.get(name);
    if (config !== undefined) return { rule: config, source: 'config' };
    const rule = await this.#o.store.getRule(tenant, name);
    return rule === undefined ? undefined : { rule, source: 'api' };
  }

  async putRule(
    tenant: string,
    rule: AlertRule,
    mode: 'create' | 'replace',
  ): Promise<'created' | 'replaced'> {
    this.#notConfig(rule.name);
    checkNotifiers(rule, this.#o.notifiers);
    if (mode === 'create' && (await this.#o.store.getRule(tenant, rule.name)) !== undefined) {
      throw new VigilError(
        'VIGIL_ERR_CONFLICT',
        `alert rule ${rule.name} exists; PUT /api/v1/alert-rules/${rule.name} replaces it`,
        {
          location: { field: 'name' },
        },
      );
    }
    const limits = this.#o.limits;
    if (limits !== undefined && (await this.#o.store.getRule(tenant, rule.name)) === undefined) {
      const max = limits.rulesOf(tenant);
      if ((await this.#o.store.listRules(tenant)).length >= max) {
        limits.refused(tenant, 'maxAlertRules');
        throw new VigilError(
          'VIGIL_ERR_OBJECT_LIMIT',
          `tenant ${tenant} has ${max} alert rules, its limits.maxAlertRules; delete one first`,
        );
      }
    }
    const done = await this.#o.store.putRule(tenant, rule);
    this.#o.changed?.(tenant);
    return done;
  }

  async deleteRule(tenant: string, name: string): Promise<boolean> {
    this.#notConfig(name);
    const done = await this.#o.store.deleteRule(tenant, name);
    if (done) this.#o.changed?.(tenant);
    return done;
  }

  listSilences(tenant: string): Promise<Silence[]> {
    return this.#o.store.listSilences(tenant, this.#o.now());
  }

  async createSilence(tenant: string, input: unknown, createdBy: string): Promise<Silence> {
    const limits = this.#o.limits;
    if (limits !== undefined) {
      const max = limits.silencesOf(tenant);
      if ((await this.#o.store.listSilences(tenant, this.#o.now())).length >= max) {
        limits.refused(tenant, 'maxSilences');
        throw new VigilError(
          'VIGIL_ERR_OBJECT_LIMIT',
          `tenant ${tenant} has ${max} silences in force or to come, its limits.maxSilences; delete one first`,
        );
      }
    }
    const s: Silence = {
      ...parseSilenceInput(input),
      id: randomBytes(8).toString('hex'),
      tenant,
      createdBy,
      createdMs: this.#o.now(),
    };
    await this.#o.store.createSilence(s);
    this.#o.changed?.(tenant);
    await this.#o.silencesChanged?.();
    return s;
  }

  async deleteSilence(tenant: string, id: string): Promise<boolean> {
    const done = await this.#o.store.deleteSilence(tenant, id);
    if (done) {
      this.#o.changed?.(tenant);
      await this.#o.silencesChanged?.();
    }
    return done;
  }

  listIncidents(tenant: string, q: { status?: 'open' | 'resolved'; limit: number }) {
    return this.#o.store.listIncidents(tenant, q);
  }

  getIncident(tenant: string, id: string) {
    return this.#o.store.getIncident(tenant, id);
  }

  #notConfig(name: string): void {
    if (this.#config.has(name)) {
      throw new VigilError(
        'VIGIL_ERR_CONFLICT',
        `alert rule ${name} comes from the config file (alerting.rules); change it there`,
        { location: { field: 'name' } },
      );
    }
  }
}
