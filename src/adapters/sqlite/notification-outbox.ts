/**
 * The notification outbox on SQLite (ports/notification-outbox.ts), in its own file (`outbox.db`
 * under the data dir): enqueuing never waits on the ingest log's or the engine's writers, and a
 * receiver that hangs holds no lock (an attempt runs between two short transactions: `claim`,
 * then `record`). Items are unique on (notifier, dedup_key, sequence); ordering and superseding
 * follow the port's contract. Schema changes follow the embedded store's pattern
 * (`CREATE … IF NOT EXISTS`).
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { AlertNotification } from '../../core/alerting/notification.ts';
import type {
  AfterAttempt,
  DeliveryAttempt,
  DeliveryQueue,
  OutboxFilter,
  OutboxItem,
  OutboxState,
} from '../../ports/notification-outbox.ts';
import {
  DELIVERY_ATTEMPT_COLUMNS,
  deliveryAttemptOf,
  OUTBOX_ITEM_COLUMNS,
  outboxItemOf,
} from '../../ports/notification-outbox-rows.ts';
import { storageTransaction } from './database.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  notifier TEXT NOT NULL,
  dedup_key TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  payload TEXT NOT NULL, -- the AlertNotification as JSON
  state TEXT NOT NULL,   -- pending | delivered | dead | superseded
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  lease_until_ms INTEGER NOT NULL DEFAULT 0,
  enqueued_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  last_error TEXT,
  UNIQUE (notifier, dedup_key, sequence)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (notifier, next_attempt_ms) WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS outbox_attempts (
  item_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL, -- sent | retry | failed
  status INTEGER,
  error TEXT,
  PRIMARY KEY (item_id, attempt)
);
`;

export class SqliteNotificationOutbox implements DeliveryQueue {
  readonly #db: DatabaseSync;
  readonly #file: string;
  readonly #now: () => number;
  readonly #top: StatementSync;
  readonly #insert: StatementSync;
  readonly #supersede: StatementSync;
  readonly #due: StatementSync;
  readonly #lease: StatementSync;

  /** Owns `db`: `close` closes it. `now` stamps enqueued items (tests move it). */
  constructor(db: DatabaseSync, opts: { file?: string; now?: () => number } = {}) {
    this.#db = db;
    this.#file = opts.file ?? 'outbox.db';
    this.#now = opts.now ?? Date.now;
    db.exec(SCHEMA);
    this.#top = db.prepare('SELECT max(sequence) AS top FROM outbox WHERE notifier = ? AND dedup_key = ?');
    this.#insert = db.prepare(
      `INSERT OR IGNORE INTO outbox (notifier, dedup_key, sequence, payload, state, next_attempt_ms, enqueued_ms, updated_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#supersede = db.prepare(
      `UPDATE outbox SET state = 'superseded', updated_ms = ?
       WHERE notifier = ? AND dedup_key = ? AND sequence < ? AND state = 'pending'`,
    );
    this.#due = db.prepare(
      `SELECT ${OUTBOX_ITEM_COLUMNS} FROM outbox o
       WHERE state = 'pending' AND notifier = ? AND next_attempt_ms <= ? AND lease_until_ms <= ?
         AND NOT EXISTS (SELECT 1 FROM outbox b WHERE b.notifier = o.notifier AND b.dedup_key = o.dedup_key
                         AND b.id <> o.id AND b.lease_until_ms > ?)
       ORDER BY next_attempt_ms, id LIMIT ?`,
    );
    this.#lease = db.prepare('UPDATE outbox SET lease_until_ms = ? WHERE id = ?');
  }

  async enqueue(notifiers: readonly string[], n: AlertNotification): Promise<void> {
    const now = this.#now();
    const payload = JSON.stringify(n);
    storageTransaction(this.#db, this.#file, () => {
      for (const notifier of new Set(notifiers)) {
        const top = this.#top.get(notifier, n.dedupKey)?.top;
        // An older change arriving after a newer one is kept (replays stay no-ops) but never sent.
        const stale = top !== null && top !== undefined && Number(top) > n.sequence;
        const state: OutboxState = stale ? 'superseded' : 'pending';
        const added = this.#insert.run(notifier, n.dedupKey, n.sequence, payload, state, now, now, now);
        if (added.changes > 0 && !stale) this.#supersede.run(now, notifier, n.dedupKey, n.sequence);
      }
    });
  }

  async claim(notifier: string, nowMs: number, limit: number, leaseMs: number): Promise<OutboxItem[]> {
    if (limit <= 0) return [];
    return storageTransaction(this.#db, this.#file, () => {
      const items = this.#due.all(notifier, nowMs, nowMs, nowMs, limit).map(outboxItemOf);
      // Two due items of one dedupKey: only the first goes now (the other, newer or not, waits its turn).
      const seen = new Set<string>();
      const claimed = items.filter((i) => {
        if (seen.has(i.notification.dedupKey)) return false;
        seen.add(i.notification.dedupKey);
        return true;
      });
      for (const i of claimed) this.#lease.run(nowMs + leaseMs, i.id);
      return claimed;
    });
  }

  async record(a: DeliveryAttempt, next: AfterAttempt): Promise<void> {
    const now = this.#now();
    storageTransaction(this.#db, this.#file, () => {
      this.#db
        .prepare(
          `INSERT OR REPLACE INTO outbox_attempts (item_id, attempt, at_ms, duration_ms, outcome, status, error)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(a.itemId, a.attempt, a.atMs, a.durationMs, a.outcome, a.status ?? null, a.error ?? null);
      // A delivery is a fact whatever happened meanwhile; any other outcome only moves a pending item.
      const due = next.state === 'pending' ? next.nextAttemptMs : null;
      this.#db
        .prepare(
          `UPDATE outbox SET attempts = max(attempts, ?), lease_until_ms = 0, updated_ms = ?, last_error = ?,
             state = CASE WHEN state = 'pending' OR ? = 'delivered' THEN ? ELSE state END,
             next_attempt_ms = CASE WHEN state = 'pending' AND ? IS NOT NULL THEN ? ELSE next_attempt_ms END
           WHERE id = ?`,
        )
        .run(a.attempt, now, a.error ?? null, next.state, next.state, due, due, a.itemId);
    });
  }

  async release(itemId: number): Promise<void> {
    this.#lease.run(0, itemId);
  }

  async list(f: OutboxFilter = {}): Promise<OutboxItem[]> {
    const where: string[] = [];
    const args: SQLInputValue[] = [];
    for (const [column, value] of [
      ['notifier', f.notifier],
      ['state', f.state],
      ['dedup_key', f.dedupKey],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      args.push(value);
    }
    const sql = `SELECT ${OUTBOX_ITEM_COLUMNS} FROM outbox ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY id LIMIT ?`;
    return this.#db
      .prepare(sql)
      .all(...args, f.limit ?? 100)
      .map(outboxItemOf);
  }

  async attempts(itemId: number): Promise<DeliveryAttempt[]> {
    return this.#db
      .prepare(`SELECT ${DELIVERY_ATTEMPT_COLUMNS} FROM outbox_attempts WHERE item_id = ? ORDER BY attempt`)
      .all(itemId)
      .map(deliveryAttemptOf);
  }

  async pendingCounts(): Promise<Map<string, number>> {
    const rows = this.#db
      .prepare("SELECT notifier, count(*) AS n FROM outbox WHERE state = 'pending' GROUP BY notifier")
      .all();
    return new Map(rows.map((r) => [String(r.notifier), Number(r.n)]));
  }

  async prune(beforeMs: number): Promise<number> {
    return storageTransaction(this.#db, this.#file, () => {
      const done = "state <> 'pending' AND updated_ms < ?";
      this.#db
        .prepare(`DELETE FROM outbox_attempts WHERE item_id IN (SELECT id FROM outbox WHERE ${done})`)
        .run(beforeMs);
      return Number(this.#db.prepare(`DELETE FROM outbox WHERE ${done}`).run(beforeMs).changes);
    });
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}
