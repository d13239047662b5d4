/**
 * AuditLog on SQLite, in its own file (`audit.db` under the data dir) so `vigil keys` can append
 * while `vigil serve` runs (another connection, WAL). Rows are only ever inserted.
 */
import type { DatabaseSync, SQLInputValue, SQLOutputValue, StatementSync } from 'node:sqlite';
import type { AuditEvent, AuditQuery, StoredAuditEvent } from '../../core/audit.ts';
import { VigilError } from '../../core/errors.ts';
import type { AuditLog } from '../../ports/audit-log.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL,
  tenant TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL,
  status INTEGER NOT NULL,
  remote TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_by_tenant ON audit_log (tenant, ts);
`;

const COLUMNS = 'ts, tenant, actor, action, target, detail, status, remote';

export class SqliteAuditLog implements AuditLog {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;

  /** Owns `db`: `close` closes it. */
  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(SCHEMA);
    this.#insert = db.prepare(`INSERT INTO audit_log (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  async record(e: AuditEvent): Promise<void> {
    try {
      this.#insert.run(e.ts, e.tenant, e.actor, e.action, e.target, e.detail, e.status, e.remote);
    } catch (err) {
      throw new VigilError('VIGIL_ERR_STORAGE', `audit.db write failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async query(q: AuditQuery): Promise<StoredAuditEvent[]> {
    const where = ['tenant = ?'];
    const args: SQLInputValue[] = [q.tenant];
    if (q.from !== undefined) {
      where.push('ts >= ?');
      args.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('ts < ?');
      args.push(q.to);
    }
    if (q.actor !== undefined) {
      where.push('actor = ?');
      args.push(q.actor);
    }
    if (q.actionPrefix !== undefined) {
      // substr, not LIKE: an action holds `_` and `/`, which LIKE would need escaped.
      where.push('substr(action, 1, ?) = ?');
      args.push(q.actionPrefix.length, q.actionPrefix);
    }
    args.push(q.limit);
    return this.#db
      .prepare(`SELECT id, ${COLUMNS} FROM audit_log WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`)
      .all(...args)
      .map(toEvent);
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}

function toEvent(row: Record<string, SQLOutputValue>): StoredAuditEvent {
  return {
    id: Number(row.id),
    ts: Number(row.ts),
    tenant: String(row.tenant),
    actor: String(row.actor),
    action: String(row.action),
    target: String(row.target),
    detail: String(row.detail),
    status: Number(row.status),
    remote: String(row.remote),
  };
}
