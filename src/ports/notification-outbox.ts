/**
 * NotificationOutbox: where the alerter leaves notifications for delivery. Enqueue is durable when
 * it resolves; delivery (app/notification-delivery.ts) then sends each to its notifier at least
 * once, retrying with backoff, and records every attempt. A slow or dead receiver never blocks
 * `enqueue`. Embedded: SQLite under the data dir; scaled out: PostgreSQL, its leases in the same rows.
 *
 * DeliveryQueue is the outbox as delivery sees it: claim what is due, record each attempt and
 * what follows it, list items and attempts. Items of one (notifier, dedupKey) are ordered by
 * `sequence`: a newer one supersedes an older one not yet delivered, an older one arriving after
 * a newer one is never delivered, and while one is claimed no other of the same pair is claimed,
 * so a receiver never sees an incident fire after its resolution.
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

/**
 * pending: waiting for its next attempt (or in one); delivered: a receiver accepted it; dead: it
 * failed for good or ran out of attempts; superseded: a newer sequence of its (notifier, dedupKey)
 * came first, so it will not be sent.
 */
export type OutboxState = 'pending' | 'delivered' | 'dead' | 'superseded';

export interface OutboxItem {
  id: number;
  notifier: string;
  notification: AlertNotification;
  state: OutboxState;
  /** Attempts made so far. */
  attempts: number;
  /** Epoch ms when the next attempt is due (pending items). */
  nextAttemptMs: number;
  enqueuedMs: number;
  lastError?: string;
}

export interface DeliveryAttempt {
  itemId: number;
  /** 1 for the first attempt. */
  attempt: number;
  atMs: number;
  durationMs: number;
  outcome: 'sent' | 'retry' | 'failed';
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  error?: string;
}

/** What follows an attempt. */
export type AfterAttempt =
  | { state: 'delivered' }
  | { state: 'pending'; nextAttemptMs: number }
  | { state: 'dead' };

export interface OutboxFilter {
  notifier?: string;
  state?: OutboxState;
  dedupKey?: string;
  /** At most this many, oldest first (default 100). */
  limit?: number;
}

export interface DeliveryQueue extends NotificationOutbox {
  /**
   * Up to `limit` pending items of `notifier` due at `nowMs`, oldest due first, each leased until
   * `nowMs + leaseMs`: no other claim returns them (or another item of their dedupKey) before
   * `record` or `release`, or before the lease runs out (a process that died mid-attempt).
   */
  claim(notifier: string, nowMs: number, limit: number, leaseMs: number): Promise<OutboxItem[]>;
  /** Stores the attempt and what follows it, and ends the item's lease, in one transaction. */
  record(attempt: DeliveryAttempt, next: AfterAttempt): Promise<void>;
  /** Ends a lease without an attempt (the attempt was abandoned at shutdown). */
  release(itemId: number): Promise<void>;
  list(filter?: OutboxFilter): Promise<OutboxItem[]>;
  attempts(itemId: number): Promise<DeliveryAttempt[]>;
  /** Pending items by notifier. */
  pendingCounts(): Promise<Map<string, number>>;
  /** Deletes finished items (delivered, dead, superseded) last changed before `beforeMs`, with their attempts; returns how many. */
  prune(beforeMs: number): Promise<number>;
  close(): Promise<void>;
}
