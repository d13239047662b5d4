/**
 * NotificationOutbox: where the alerter leaves notifications for delivery. Enqueue is durable when
 * it resolves; delivery (app/notification-delivery.ts) then sends each to its notifier at least
 * once, retrying with backoff, and records every attempt. A slow or dead receiver never blocks
 * `enqueue`. Embedded: SQLite under the data dir; scaled out: PostgreSQL with leases in Redis.
 */
import type { AlertNotification } from '../core/alerting/notification.ts';

export interface NotificationOutbox {
  /**
   * Queues `n` for each notifier named (names from `alerting.notifiers`). Enqueuing the same
   * (notifier, dedupKey, sequence) again is a no-op, so an alerter that replays after a crash
   * never pages twice.
   */
  enqueue(notifiers: readonly string[], n: AlertNotification): Promise<void>;
}
