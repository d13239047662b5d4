/**
 * NotificationDelivery.close waits for a claim in flight: an item leased by it is released before
 * close resolves, so a process reopening the outbox right after finds it due at once, not leased
 * for the notifier's timeout + 30 s. (A queue whose claim is truly asynchronous, as PostgreSQL's
 * is, could lose that race before.)
 */
import { describe, expect, it } from 'vitest';
import { NotificationDelivery } from '../../../src/app/notification-delivery.ts';
import type { AlertNotification } from '../../../src/core/alerting/notification.ts';
import type { DeliveryQueue, OutboxItem } from '../../../src/ports/notification-outbox.ts';
import type { Notifier } from '../../../src/ports/notifier.ts';

describe('NotificationDelivery.close', () => {
  it('waits for a claim in flight and releases what it leased', async () => {
    let answer: (items: OutboxItem[]) => void = () => {};
    const released: number[] = [];
    const queue = {
      claim: () =>
        new Promise<OutboxItem[]>((r) => {
          answer = r;
        }),
      release: async (id: number) => {
        released.push(id);
      },
      record: async () => {},
      prune: async () => 0,
    } as unknown as DeliveryQueue;
    const notifier: Notifier = {
      name: 'team',
      send: async (_n, signal) =>
        signal?.aborted ? { outcome: 'retry', error: 'aborted' } : { outcome: 'sent', status: 200 },
    };
    const d = new NotificationDelivery({
      queue,
      notifiers: [notifier],
      timeoutMs: () => 10_000,
      settings: {
        initialBackoffMs: 10,
        maxBackoffMs: 100,
        concurrency: 1,
        pollIntervalMs: 60_000,
        retentionHours: 1,
        maxAttempts: 3,
      } as never,
    });
    d.start(); // claims at once: the claim stays in flight
    let closed = false;
    const closing = d.close().then(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false);
    answer([{ id: 7, attempts: 1, notification: {} as AlertNotification } as OutboxItem]);
    await closing;
    expect(released).toEqual([7]);
  });
});
