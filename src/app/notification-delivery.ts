/**
 * Notification delivery: drains the outbox (ports/notification-outbox.ts) into the notifiers.
 *
 * - At least once: an item leaves `pending` only when an attempt's outcome is recorded; a process
 *   that dies mid-attempt leaves a lease that runs out (the notifier's timeout + 30 s), and the
 *   item is sent again. Everything lives in the outbox, so a restart resumes where it stopped.
 * - Retries: exponential backoff with full jitter (core/alerting/backoff.ts), honouring the
 *   receiver's Retry-After; after `maxAttempts`, or on a permanent refusal, the item is dead.
 * - Isolation: each notifier has `concurrency` slots; an attempt holds one slot for at most the
 *   notifier's timeout, and nothing else waits on it: `enqueue` is one short SQLite transaction,
 *   then a wake-up. Ingest and scoring never call into here.
 * - New items go at once (`enqueue` wakes the loop); due retries are found by polling every
 *   `pollIntervalMs`. Finished items older than `retentionHours` are deleted hourly.
 */
import { performance } from 'node:perf_hooks';
import type { DeliverySettings } from '../config/notifiers.ts';
import { backoffMs } from '../core/alerting/backoff.ts';
import type { AlertNotification } from '../core/alerting/notification.ts';
import type {
  AfterAttempt,
  DeliveryQueue,
  NotificationOutbox,
  OutboxItem,
} from '../ports/notification-outbox.ts';
import type { Notifier, SendOutcome } from '../ports/notifier.ts';

/** Totals per notifier since start (the counters of /metrics). */
export interface DeliveryCounts {
  /** Notifications a receiver accepted. */
  sent: number;
  /** Notifications given up: refused for good, or out of attempts. */
  failed: number;
  /** Failed attempts that were scheduled again. */
  retried: number;
}

export interface DeliveryOptions {
  queue: DeliveryQueue;
  notifiers: readonly Notifier[];
  /** Per notifier: how long one attempt may take (the lease adds 30 s to it). */
  timeoutMs: (notifier: string) => number;
  settings: DeliverySettings;
  now?: () => number;
  random?: () => number;
  /** Storage failures of the loop (it goes on; a lost record is redone when the lease ends). */
  onError?: (err: unknown, what: string) => void;
}

const LEASE_MARGIN_MS = 30_000;
const PRUNE_EVERY_MS = 3_600_000;

export class NotificationDelivery implements NotificationOutbox {
  readonly #o: DeliveryOptions;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #counts = new Map<string, DeliveryCounts>();
  readonly #inFlight = new Map<string, number>();
  readonly #attempts = new Set<Promise<void>>();
  readonly #shutdown = new AbortController();
  #timer: ReturnType<typeof setInterval> | undefined;
  #pruner: ReturnType<typeof setInterval> | undefined;
  #pumping = false;
  /** The look for due items in flight, if any (close waits for it: its claims hold leases). */
  #pumpDone: Promise<void> = Promise.resolve();
  #again = false;
  #closed = false;

  constructor(o: DeliveryOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#random = o.random ?? Math.random;
    for (const n of o.notifiers) {
      this.#counts.set(n.name, { sent: 0, failed: 0, retried: 0 });
      this.#inFlight.set(n.name, 0);
    }
  }

  /** Starts polling and sends what is already due (items stored before a restart). */
  start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => this.wake(), this.#o.settings.pollIntervalMs);
    this.#timer.unref();
    this.#pruner = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.#pruner.unref();
    void this.prune();
    this.wake();
  }

  /** Deletes finished items older than `retentionHours` (hourly; at start too). */
  async prune(): Promise<void> {
    try {
      await this.#o.queue.prune(this.#now() - this.#o.settings.retentionHours * 3_600_000);
    } catch (err) {
      this.#o.onError?.(err, 'pruning finished notifications');
    }
  }

  /** Durable when it resolves; then delivery starts at once, without waiting for it. */
  async enqueue(notifiers: readonly string[], n: AlertNotification): Promise<void> {
    await this.#o.queue.enqueue(notifiers, n);
    this.wake();
  }

  /** Looks for due items now (coalesced with a look already running). */
  wake(): void {
    if (this.#closed) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumpDone = this.#pump();
  }

  get counts(): ReadonlyMap<string, Readonly<DeliveryCounts>> {
    return this.#counts;
  }

  pendingCounts(): Promise<Map<string, number>> {
    return this.#o.queue.pendingCounts();
  }

  /**
   * Stops claiming, abandons attempts in flight (their items stay pending, their leases released)
   * and waits for them and for a claim in flight.
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#pruner !== undefined) clearInterval(this.#pruner);
    this.#shutdown.abort();
    // A claim in flight may still lease items; the attempts it then begins see the abort and
    // release them. Waiting for it first puts those attempts in the set below.
    await this.#pumpDone;
    await Promise.allSettled([...this.#attempts]);
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        for (const notifier of this.#o.notifiers) {
          const free = this.#o.settings.concurrency - (this.#inFlight.get(notifier.name) ?? 0);
          if (free <= 0 || this.#closed) continue;
          const lease = this.#o.timeoutMs(notifier.name) + LEASE_MARGIN_MS;
          const items = await this.#o.queue.claim(notifier.name, this.#now(), free, lease);
          for (const item of items) this.#begin(notifier, item);
        }
      } while (this.#again && !this.#closed);
    } catch (err) {
      this.#o.onError?.(err, 'claiming due notifications');
    } finally {
      this.#pumping = false;
    }
  }

  #begin(notifier: Notifier, item: OutboxItem): void {
    this.#inFlight.set(notifier.name, (this.#inFlight.get(notifier.name) ?? 0) + 1);
    const attempt = this.#attempt(notifier, item).finally(() => {
      this.#inFlight.set(notifier.name, (this.#inFlight.get(notifier.name) ?? 1) - 1);
      this.#attempts.delete(attempt);
      this.wake();
    });
    this.#attempts.add(attempt);
  }

  async #attempt(notifier: Notifier, item: OutboxItem): Promise<void> {
    const atMs = this.#now();
    const t0 = performance.now();
    let out: SendOutcome;
    try {
      out = await notifier.send(item.notification, this.#shutdown.signal);
    } catch (err) {
      out = { outcome: 'retry', error: `notifier threw: ${(err as Error).message}` };
    }
    const durationMs = Math.round(performance.now() - t0);
    try {
      if (this.#shutdown.signal.aborted && out.outcome !== 'sent') {
        await this.#o.queue.release(item.id);
        return;
      }
      const attempt = item.attempts + 1;
      const next = this.#next(attempt, out);
      await this.#o.queue.record(
        {
          itemId: item.id,
          attempt,
          atMs,
          durationMs,
          outcome: out.outcome,
          ...(out.status !== undefined ? { status: out.status } : {}),
          ...(out.outcome !== 'sent' ? { error: out.error } : {}),
        },
        next,
      );
      const c = this.#counts.get(notifier.name);
      if (c === undefined) return;
      if (next.state === 'delivered') c.sent++;
      else if (next.state === 'dead') c.failed++;
      else c.retried++;
    } catch (err) {
      this.#o.onError?.(err, `recording an attempt of notification ${item.id} to ${notifier.name}`);
    }
  }

  #next(attempt: number, out: SendOutcome): AfterAttempt {
    if (out.outcome === 'sent') return { state: 'delivered' };
    if (out.outcome === 'failed' || attempt >= this.#o.settings.maxAttempts) return { state: 'dead' };
    const wait = backoffMs(this.#o.settings, attempt, this.#random(), out.retryAfterMs);
    return { state: 'pending', nextAttemptMs: this.#now() + wait };
  }
}
