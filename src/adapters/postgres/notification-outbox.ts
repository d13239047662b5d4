/**
 * The notification outbox on PostgreSQL (ports/notification-outbox.ts), for alerters scaled out:
 * the same contract as the SQLite outbox, shared by every process on the database. Enqueues of one
 * (notifier, dedupKey) and claims of one notifier are serialised by transaction-level advisory
 * locks, so two alerters never both supersede, or both claim, the same items. Everything reads the
 * primary (a replica's lag would hand out items already leased). Every write is safe to repeat
 * after a lost COMMIT reply (pools.ts): enqueue is idempotent, an attempt is keyed by
 * (item, attempt), and a repeated claim only leases what is still free.
 */
import type { AlertNotification } from '../../core/alerting/notification.ts';
import type {
  AfterAttempt,
  DeliveryAttempt,
  DeliveryQueue,
  OutboxFilter,
  OutboxItem,
} from '../../ports/notification-outbox.ts';
import {
  DELIVERY_ATTEMPT_COLUMNS,
  deliveryAttemptOf,
  OUTBOX_ITEM_COLUMNS,
  outboxItemOf,
} from '../../ports/notification-outbox-rows.ts';
import { int } from './codec.ts';
import type { PgPools } from './pools.ts';

export class PgNotificationOutbox implements DeliveryQueue {
  readonly #pools: PgPools;
  readonly #now: () => number;

  /** The caller owns `pools` (closed with the other PostgreSQL stores). */
  constructor(pools: PgPools, opts: { now?: () => number } = {}) {
    this.#pools = pools;
    this.#now = opts.now ?? Date.now;
  }

  async enqueue(notifiers: readonly string[], n: AlertNotification): Promise<void> {
    const now = this.#now();
    const payload = JSON.stringify(n);
    await this.#pools.write('enqueue notification', async (query) => {
      for (const notifier of [...new Set(notifiers)].sort()) {
        await query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
          `vigil.outbox:${notifier}`,
          n.dedupKey,
        ]);
        const [top] = await query(
          'SELECT max(sequence) AS top FROM notification_outbox WHERE notifier = $1 AND dedup_key = $2',
          [notifier, n.dedupKey],
        );
        // An older change arriving after a newer one is kept (replays stay no-ops) but never sent.
        const stale = top?.top !== null && top?.top !== undefined && int(top.top) > n.sequence;
        const added = await query(
          `INSERT INTO notification_outbox (notifier, dedup_key, sequence, payload, state, next_attempt_ms, enqueued_ms, updated_ms)
           VALUES ($1, $2, $3, $4, $5, $6, $6, $6) ON CONFLICT DO NOTHING RETURNING id`,
          [notifier, n.dedupKey, n.sequence, payload, stale ? 'superseded' : 'pending', now],
        );
        if (added.length > 0 && !stale) {
          await query(
            `UPDATE notification_outbox SET state = 'superseded', updated_ms = $4
             WHERE notifier = $1 AND dedup_key = $2 AND sequence < $3 AND state = 'pending'`,
            [notifier, n.dedupKey, n.sequence, now],
          );
        }
      }
    });
  }

  async claim(notifier: string, nowMs: number, limit: number, leaseMs: number): Promise<OutboxItem[]> {
    if (limit <= 0) return [];
    return this.#pools.write('claim notifications', async (query) => {
      await query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vigil.outbox.claim:${notifier}`]);
      // One per dedupKey (the oldest due), none of a dedupKey with an item in flight.
      const items = (
        await query(
          `SELECT ${OUTBOX_ITEM_COLUMNS} FROM (
             SELECT DISTINCT ON (dedup_key) ${OUTBOX_ITEM_COLUMNS} FROM notification_outbox o
             WHERE state = 'pending' AND notifier = $1 AND next_attempt_ms <= $2 AND lease_until_ms <= $2
               AND NOT EXISTS (SELECT 1 FROM notification_outbox b WHERE b.notifier = o.notifier
                               AND b.dedup_key = o.dedup_key AND b.id <> o.id AND b.lease_until_ms > $2)
             ORDER BY dedup_key, next_attempt_ms, id) due
           ORDER BY next_attempt_ms, id LIMIT $3`,
          [notifier, nowMs, limit],
        )
      ).map(outboxItemOf);
      if (items.length > 0) {
        await query('UPDATE notification_outbox SET lease_until_ms = $1 WHERE id = ANY($2::bigint[])', [
          nowMs + leaseMs,
          items.map((i) => i.id),
        ]);
      }
      return items;
    });
  }

  async record(a: DeliveryAttempt, next: AfterAttempt): Promise<void> {
    const due = next.state === 'pending' ? next.nextAttemptMs : null;
    await this.#pools.write('record notification attempt', async (query) => {
      await query(
        `INSERT INTO notification_attempts (item_id, attempt, at_ms, duration_ms, outcome, status, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [a.itemId, a.attempt, a.atMs, a.durationMs, a.outcome, a.status ?? null, a.error ?? null],
      );
      // A delivery is a fact whatever happened meanwhile; any other outcome only moves a pending item.
      await query(
        `UPDATE notification_outbox SET attempts = GREATEST(attempts, $2), lease_until_ms = 0, updated_ms = $3,
           last_error = $4,
           state = CASE WHEN state = 'pending' OR $5::text = 'delivered' THEN $5::text ELSE state END,
           next_attempt_ms = CASE WHEN state = 'pending' AND $6::bigint IS NOT NULL THEN $6::bigint ELSE next_attempt_ms END
         WHERE id = $1`,
        [a.itemId, a.attempt, this.#now(), a.error ?? null, next.state, due],
      );
    });
  }

  async release(itemId: number): Promise<void> {
    await this.#pools.primary(
      'release notification',
      'UPDATE notification_outbox SET lease_until_ms = 0 WHERE id = $1',
      [itemId],
    );
  }

  async list(f: OutboxFilter = {}): Promise<OutboxItem[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [column, value] of [
      ['notifier', f.notifier],
      ['state', f.state],
      ['dedup_key', f.dedupKey],
    ] as const) {
      if (value === undefined) continue;
      args.push(value);
      where.push(`${column} = $${args.length}`);
    }
    args.push(f.limit ?? 100);
    const rows = await this.#pools.primary(
      'list notifications',
      `SELECT ${OUTBOX_ITEM_COLUMNS} FROM notification_outbox ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id LIMIT $${args.length}`,
      args,
    );
    return rows.map(outboxItemOf);
  }

  async attempts(itemId: number): Promise<DeliveryAttempt[]> {
    const rows = await this.#pools.primary(
      'list notification attempts',
      `SELECT ${DELIVERY_ATTEMPT_COLUMNS} FROM notification_attempts WHERE item_id = $1 ORDER BY attempt`,
      [itemId],
    );
    return rows.map(deliveryAttemptOf);
  }

  async pendingCounts(): Promise<Map<string, number>> {
    const rows = await this.#pools.primary(
      'count pending notifications',
      "SELECT notifier, count(*) AS n FROM notification_outbox WHERE state = 'pending' GROUP BY notifier",
    );
    return new Map(rows.map((r) => [String(r.notifier), int(r.n)]));
  }

  async prune(beforeMs: number): Promise<number> {
    return this.#pools.write('prune notifications', async (query) => {
      const done = "state <> 'pending' AND updated_ms < $1";
      await query(
        `DELETE FROM notification_attempts WHERE item_id IN (SELECT id FROM notification_outbox WHERE ${done})`,
        [beforeMs],
      );
      return (await query(`DELETE FROM notification_outbox WHERE ${done} RETURNING id`, [beforeMs])).length;
    });
  }

  /** The pools belong to the caller. */
  async close(): Promise<void> {}
}
