/**
 * AuditLog on PostgreSQL: one table for every API replica and `vigil keys --store postgres`. Reads
 * go to the primary: an admin looking for the change just made must find it.
 */
import type { AuditEvent, AuditQuery, StoredAuditEvent } from '../../core/audit.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import { int } from './codec.ts';
import type { PgPools, Row } from './pools.ts';

const COLUMNS = 'ts, tenant, actor, action, target, detail, status, remote';

export class PgAuditLog implements AuditLog {
  readonly #pools: PgPools;
  readonly #owned: boolean;

  /** With `owned`, `close` closes `pools` (the CLI's log); else the caller does. */
  constructor(pools: PgPools, options: { owned?: boolean } = {}) {
    this.#pools = pools;
    this.#owned = options.owned ?? false;
  }

  async record(e: AuditEvent): Promise<void> {
    await this.#pools.write('record audit event', (query) =>
      query(`INSERT INTO audit_log (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
        e.ts,
        e.tenant,
        e.actor,
        e.action,
        e.target,
        e.detail,
        e.status,
        e.remote,
      ]),
    );
  }

  async query(q: AuditQuery): Promise<StoredAuditEvent[]> {
    const where = ['tenant = $1'];
    const args: unknown[] = [q.tenant];
    const add = (clause: (n: string) => string, v: unknown) => {
      args.push(v);
      where.push(clause(`$${args.length}`));
    };
    if (q.from !== undefined) add((n) => `ts >= ${n}`, q.from);
    if (q.to !== undefined) add((n) => `ts < ${n}`, q.to);
    if (q.actor !== undefined) add((n) => `actor = ${n}`, q.actor);
    if (q.actionPrefix !== undefined) add((n) => `starts_with(action, ${n})`, q.actionPrefix);
    args.push(q.limit);
    const rows = await this.#pools.primary(
      'query audit log',
      `SELECT id, ${COLUMNS} FROM audit_log WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${args.length}`,
      args,
    );
    return rows.map(toEvent);
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#pools.close();
  }
}

function toEvent(row: Row): StoredAuditEvent {
  return {
    id: int(row.id),
    ts: int(row.ts),
    tenant: row.tenant as string,
    actor: row.actor as string,
    action: row.action as string,
    target: row.target as string,
    detail: row.detail as string,
    status: int(row.status),
    remote: row.remote as string,
  };
}
