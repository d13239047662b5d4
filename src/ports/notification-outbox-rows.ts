/**
 * The row form of the notification outbox, shared by its SQLite and PostgreSQL backends: the
 * columns each selects and how a row becomes an OutboxItem or a DeliveryAttempt. Both store the
 * notification as JSON text and times as integer epoch ms (PostgreSQL `bigint` arrives as a string).
 */
import type { AlertNotification } from '../core/alerting/notification.ts';
import type { DeliveryAttempt, OutboxItem, OutboxState } from './notification-outbox.ts';

type Row = Readonly<Record<string, unknown>>;

/** The columns `outboxItemOf` reads, in a SELECT list. */
export const OUTBOX_ITEM_COLUMNS =
  'id, notifier, payload, state, attempts, next_attempt_ms, enqueued_ms, last_error';

/** The columns `deliveryAttemptOf` reads, in a SELECT list. */
export const DELIVERY_ATTEMPT_COLUMNS = 'item_id, attempt, at_ms, duration_ms, outcome, status, error';

export function outboxItemOf(r: Row): OutboxItem {
  return {
    id: Number(r.id),
    notifier: String(r.notifier),
    notification: JSON.parse(String(r.payload)) as AlertNotification,
    state: String(r.state) as OutboxState,
    attempts: Number(r.attempts),
    nextAttemptMs: Number(r.next_attempt_ms),
    enqueuedMs: Number(r.enqueued_ms),
    ...(r.last_error !== null ? { lastError: String(r.last_error) } : {}),
  };
}

export function deliveryAttemptOf(r: Row): DeliveryAttempt {
  return {
    itemId: Number(r.item_id),
    attempt: Number(r.attempt),
    atMs: Number(r.at_ms),
    durationMs: Number(r.duration_ms),
    outcome: String(r.outcome) as DeliveryAttempt['outcome'],
    ...(r.status !== null ? { status: Number(r.status) } : {}),
    ...(r.error !== null ? { error: String(r.error) } : {}),
  };
}
