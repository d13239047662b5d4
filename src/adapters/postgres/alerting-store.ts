/**
 * AlertingStore on PostgreSQL: rules, silences and incidents as `jsonb` documents keyed by
 * (tenant, name/id), with the columns queries filter on beside them (migration step 8). The
 * alerter's reads and every write go to the primary; the API's reads may go to the replica
 * (PgPools routes them there only once it holds this process's writes).
 */
import type { Incident } from '../../core/alerting/incident.ts';
import type { AlertRule } from '../../core/alerting/rule.ts';
import type { Silence } from '../../core/alerting/silences.ts';
import type { AlertingStore, IncidentQuery } from '../../ports/alerting-store.ts';
import type { PgPools, Query, Row } from './pools.ts';

const doc = <T>(r: Row): T => r.doc as T;

export class PgAlertingStore implements AlertingStore {
  readonly #pools: PgPools;

  /** The caller owns `pools`; `close` does nothing. */
  constructor(pools: PgPools) {
    this.#pools = pools;
  }

  async listRules(tenant: string): Promise<AlertRule[]> {
    const rows = await this.#pools.read(
      'list alert rules',
      'SELECT doc FROM alert_rules WHERE tenant = $1 ORDER BY name',
      [tenant],
    );
    return rows.map(doc<AlertRule>);
  }

  async getRule(tenant: string, name: string): Promise<AlertRule | undefined> {
    const rows = await this.#pools.read(
      'get alert rule',
      'SELECT doc FROM alert_rules WHERE tenant = $1 AND name = $2',
      [tenant, name],
    );
    return rows.length === 0 ? undefined : doc<AlertRule>(rows[0]!);
  }

  async putRule(tenant: string, rule: AlertRule): Promise<'created' | 'replaced'> {
    return this.#pools.write('put alert rule', async (query) => {
      const had = await query('SELECT 1 FROM alert_rules WHERE tenant = $1 AND name = $2 FOR UPDATE', [
        tenant,
        rule.name,
      ]);
      await query(
        `INSERT INTO alert_rules (tenant, name, doc) VALUES ($1, $2, $3)
         ON CONFLICT (tenant, name) DO UPDATE SET doc = EXCLUDED.doc`,
        [tenant, rule.name, JSON.stringify(rule)],
      );
      return had.length === 0 ? 'created' : 'replaced';
    });
  }

  async deleteRule(tenant: string, name: string): Promise<boolean> {
    const rows = await this.#pools.write('delete alert rule', (query) =>
      query('DELETE FROM alert_rules WHERE tenant = $1 AND name = $2 RETURNING name', [tenant, name]),
    );
    return rows.length > 0;
  }

  async allRules(): Promise<{ tenant: string; rule: AlertRule }[]> {
    const rows = await this.#pools.primary(
      'all alert rules',
      'SELECT tenant, doc FROM alert_rules ORDER BY tenant, name',
    );
    return rows.map((r) => ({ tenant: String(r.tenant), rule: doc<AlertRule>(r) }));
  }

  async listSilences(tenant: string, nowMs: number): Promise<Silence[]> {
    const rows = await this.#pools.primary(
      'list silences',
      'SELECT doc FROM silences WHERE tenant = $1 AND ends_at > $2 ORDER BY created_ms, id',
      [tenant, nowMs],
    );
    return rows.map(doc<Silence>);
  }

  async createSilence(s: Silence): Promise<void> {
    await this.#pools.write('create silence', (query) =>
      query('INSERT INTO silences (tenant, id, ends_at, created_ms, doc) VALUES ($1, $2, $3, $4, $5)', [
        s.tenant,
        s.id,
        s.endsAt,
        s.createdMs,
        JSON.stringify(s),
      ]),
    );
  }

  async deleteSilence(tenant: string, id: string): Promise<boolean> {
    const rows = await this.#pools.write('delete silence', (query) =>
      query('DELETE FROM silences WHERE tenant = $1 AND id = $2 RETURNING id', [tenant, id]),
    );
    return rows.length > 0;
  }

  async allSilences(nowMs: number): Promise<Silence[]> {
    const rows = await this.#pools.primary(
      'all silences',
      'SELECT doc FROM silences WHERE ends_at > $1 ORDER BY tenant, created_ms, id',
      [nowMs],
    );
    return rows.map(doc<Silence>);
  }

  async putIncidents(incidents: readonly Incident[]): Promise<void> {
    if (incidents.length === 0) return;
    await this.#pools.write('put incidents', (query) => putIncidents(query, incidents));
  }

  async listIncidents(tenant: string, q: IncidentQuery): Promise<Incident[]> {
    const rows =
      q.status === undefined
        ? await this.#pools.read(
            'list incidents',
            'SELECT doc FROM incidents WHERE tenant = $1 ORDER BY starts_at DESC, id LIMIT $2',
            [tenant, q.limit],
          )
        : await this.#pools.read(
            'list incidents',
            'SELECT doc FROM incidents WHERE tenant = $1 AND status = $2 ORDER BY starts_at DESC, id LIMIT $3',
            [tenant, q.status, q.limit],
          );
    return rows.map(doc<Incident>);
  }

  async getIncident(tenant: string, id: string): Promise<Incident | undefined> {
    const rows = await this.#pools.read(
      'get incident',
      'SELECT doc FROM incidents WHERE tenant = $1 AND id = $2',
      [tenant, id],
    );
    return rows.length === 0 ? undefined : doc<Incident>(rows[0]!);
  }

  async loadAlerterState(): Promise<string | undefined> {
    const rows = await this.#pools.primary('load alerter state', 'SELECT doc FROM alerter_state WHERE k = 0');
    return rows.length === 0 ? undefined : String(rows[0]!.doc);
  }

  async saveAlerterState(state: string, incidents: readonly Incident[]): Promise<void> {
    await this.#pools.write('save alerter state', async (query) => {
      await putIncidents(query, incidents);
      await query(
        'INSERT INTO alerter_state (k, doc) VALUES (0, $1) ON CONFLICT (k) DO UPDATE SET doc = EXCLUDED.doc',
        [state],
      );
    });
  }

  async close(): Promise<void> {}
}

async function putIncidents(query: Query, incidents: readonly Incident[]): Promise<void> {
  for (const i of incidents) {
    await query(
      `INSERT INTO incidents (tenant, id, status, starts_at, doc) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant, id) DO UPDATE SET status = EXCLUDED.status, starts_at = EXCLUDED.starts_at, doc = EXCLUDED.doc`,
      [i.tenant, i.id, i.status, i.startsAt, JSON.stringify(i)],
    );
  }
}
