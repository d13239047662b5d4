/**
 * AlertingStore on SQLite, in its own file (`alerting.db` under the data dir) so alerting never
 * contends with the ingest log's writer. Rules, silences and incidents are JSON documents keyed by
 * (tenant, name/id), with the columns queries filter on beside them. The alerter's state is saved
 * in the same transaction as the incidents it produced, so a restart resumes from a state that
 * matches what the API shows.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Incident } from '../../core/alerting/incident.ts';
import type { AlertRule } from '../../core/alerting/rule.ts';
import type { Silence } from '../../core/alerting/silences.ts';
import { VigilError } from '../../core/errors.ts';
import type { AlertingStore, IncidentQuery } from '../../ports/alerting-store.ts';
import { writeTransaction } from './database.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alert_rules (
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (tenant, name)
);
CREATE TABLE IF NOT EXISTS silences (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  ends_at INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE TABLE IF NOT EXISTS incidents (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  status TEXT NOT NULL,
  starts_at INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX IF NOT EXISTS incidents_by_start ON incidents (tenant, starts_at DESC, id);
CREATE TABLE IF NOT EXISTS alerter_state (
  k INTEGER PRIMARY KEY CHECK (k = 0),
  doc TEXT NOT NULL
);
`;

const parse = <T>(row: Record<string, unknown> | undefined): T | undefined =>
  row === undefined ? undefined : (JSON.parse(String(row.doc)) as T);

export class SqliteAlertingStore implements AlertingStore {
  readonly #db: DatabaseSync;

  /** Owns `db`: `close` closes it. */
  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(SCHEMA);
  }

  async listRules(tenant: string): Promise<AlertRule[]> {
    return this.#all<AlertRule>('SELECT doc FROM alert_rules WHERE tenant = ? ORDER BY name', tenant);
  }

  async getRule(tenant: string, name: string): Promise<AlertRule | undefined> {
    return parse(
      this.#db.prepare('SELECT doc FROM alert_rules WHERE tenant = ? AND name = ?').get(tenant, name),
    );
  }

  async putRule(tenant: string, rule: AlertRule): Promise<'created' | 'replaced'> {
    return this.#write(`alert rule ${rule.name}`, () => {
      const had = this.#db
        .prepare('SELECT 1 FROM alert_rules WHERE tenant = ? AND name = ?')
        .get(tenant, rule.name);
      this.#db
        .prepare('INSERT OR REPLACE INTO alert_rules (tenant, name, doc) VALUES (?, ?, ?)')
        .run(tenant, rule.name, JSON.stringify(rule));
      return had === undefined ? 'created' : 'replaced';
    });
  }

  async deleteRule(tenant: string, name: string): Promise<boolean> {
    const r = this.#db.prepare('DELETE FROM alert_rules WHERE tenant = ? AND name = ?').run(tenant, name);
    return Number(r.changes) > 0;
  }

  async allRules(): Promise<{ tenant: string; rule: AlertRule }[]> {
    return this.#db
      .prepare('SELECT tenant, doc FROM alert_rules ORDER BY tenant, name')
      .all()
      .map((row) => ({ tenant: String(row.tenant), rule: parse<AlertRule>(row)! }));
  }

  async listSilences(tenant: string, nowMs: number): Promise<Silence[]> {
    return this.#all<Silence>(
      'SELECT doc FROM silences WHERE tenant = ? AND ends_at > ? ORDER BY created_ms, id',
      tenant,
      nowMs,
    );
  }

  async createSilence(s: Silence): Promise<void> {
    this.#write(`silence ${s.id}`, () =>
      this.#db
        .prepare('INSERT INTO silences (tenant, id, ends_at, created_ms, doc) VALUES (?, ?, ?, ?, ?)')
        .run(s.tenant, s.id, s.endsAt, s.createdMs, JSON.stringify(s)),
    );
  }

  async deleteSilence(tenant: string, id: string): Promise<boolean> {
    const r = this.#db.prepare('DELETE FROM silences WHERE tenant = ? AND id = ?').run(tenant, id);
    return Number(r.changes) > 0;
  }

  async allSilences(nowMs: number): Promise<Silence[]> {
    return this.#all<Silence>(
      'SELECT doc FROM silences WHERE ends_at > ? ORDER BY tenant, created_ms, id',
      nowMs,
    );
  }

  async putIncidents(incidents: readonly Incident[]): Promise<void> {
    this.#write('incidents', () => writeTransaction(this.#db, () => this.#putIncidents(incidents)));
  }

  async listIncidents(tenant: string, q: IncidentQuery): Promise<Incident[]> {
    const status = q.status === undefined ? '' : ' AND status = ?';
    const args: (string | number)[] = [tenant, ...(q.status === undefined ? [] : [q.status]), q.limit];
    return this.#all<Incident>(
      `SELECT doc FROM incidents WHERE tenant = ?${status} ORDER BY starts_at DESC, id LIMIT ?`,
      ...args,
    );
  }

  async getIncident(tenant: string, id: string): Promise<Incident | undefined> {
    return parse(this.#db.prepare('SELECT doc FROM incidents WHERE tenant = ? AND id = ?').get(tenant, id));
  }

  async loadAlerterState(): Promise<string | undefined> {
    const row = this.#db.prepare('SELECT doc FROM alerter_state WHERE k = 0').get();
    return row === undefined ? undefined : String(row.doc);
  }

  async saveAlerterState(state: string, incidents: readonly Incident[]): Promise<void> {
    this.#write('alerter state', () =>
      writeTransaction(this.#db, () => {
        this.#putIncidents(incidents);
        this.#db.prepare('INSERT OR REPLACE INTO alerter_state (k, doc) VALUES (0, ?)').run(state);
      }),
    );
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }

  #putIncidents(incidents: readonly Incident[]): void {
    const put = this.#db.prepare(
      'INSERT OR REPLACE INTO incidents (tenant, id, status, starts_at, doc) VALUES (?, ?, ?, ?, ?)',
    );
    for (const i of incidents) put.run(i.tenant, i.id, i.status, i.startsAt, JSON.stringify(i));
  }

  #all<T>(sql: string, ...args: (string | number)[]): T[] {
    return this.#db
      .prepare(sql)
      .all(...args)
      .map((row) => parse<T>(row)!);
  }

  #write<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw new VigilError('VIGIL_ERR_STORAGE', `cannot store ${what}`, { cause: err });
    }
  }
}
