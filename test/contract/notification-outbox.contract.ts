/**
 * Contract of the notification outbox (NotificationOutbox + DeliveryQueue): enqueue is durable and
 * idempotent per (notifier, dedupKey, sequence); a newer sequence supersedes an older one not yet
 * delivered, and an older one arriving late is never sent; a claim leases its items (and their
 * dedupKey) until the attempt is recorded, released or the lease runs out; every attempt is kept.
 */
import { describe, expect, it } from 'vitest';
import type { AlertNotification } from '../../src/core/alerting/notification.ts';
import type { DeliveryQueue } from '../../src/ports/notification-outbox.ts';
import type { Reopenable } from './fixtures.ts';

export interface OutboxUnderTest extends Reopenable<OutboxUnderTest> {
  queue: DeliveryQueue;
}

const LEASE = 60_000;

export const notification = (incident: string, sequence: number, extra: Partial<AlertNotification> = {}) => ({
  dedupKey: `default/rule-a/${incident}`,
  tenant: 'default',
  rule: 'rule-a',
  incidentId: incident,
  status: 'firing' as const,
  sequence,
  severity: 'warning' as const,
  labels: { alertname: 'rule-a', vigil_incident: incident },
  annotations: { summary: `incident ${incident}` },
  startsAt: 1_700_000_000_000,
  generatorURL: `http://vigil/api/v1/incidents/${incident}`,
  createdMs: 1_700_000_001_000,
  ...extra,
});

export function notificationOutboxContract(name: string, open: () => Promise<OutboxUnderTest>): void {
  describe(`NotificationOutbox contract: ${name}`, () => {
    it('keeps what was enqueued, one item per notifier, across a reopen', async () => {
      let o = await open();
      const n = notification('i1', 1);
      await o.queue.enqueue(['am', 'hook'], n);
      o = await o.reopen();
      const items = await o.queue.list();
      expect(items.map((i) => [i.notifier, i.state, i.attempts])).toEqual([
        ['am', 'pending', 0],
        ['hook', 'pending', 0],
      ]);
      expect(items[0]!.notification).toEqual(n);
      expect(await o.queue.pendingCounts()).toEqual(
        new Map([
          ['am', 1],
          ['hook', 1],
        ]),
      );
      await o.close();
    });

    it('enqueuing the same (notifier, dedupKey, sequence) twice keeps one item', async () => {
      const o = await open();
      await o.queue.enqueue(['am'], notification('i1', 1));
      await o.queue.enqueue(['am', 'am'], notification('i1', 1));
      expect(await o.queue.list()).toHaveLength(1);
      expect(await o.queue.claim('am', Date.now(), 10, LEASE)).toHaveLength(1);
      await o.close();
    });

    it('a newer sequence supersedes an older one not yet delivered; a late older one is never sent', async () => {
      const o = await open();
      await o.queue.enqueue(['am'], notification('i1', 1));
      await o.queue.enqueue(['am'], notification('i1', 3, { status: 'resolved', endsAt: 1_700_000_100_000 }));
      await o.queue.enqueue(['am'], notification('i1', 2)); // arrives after its successor
      expect((await o.queue.list()).map((i) => [i.notification.sequence, i.state])).toEqual([
        [1, 'superseded'],
        [3, 'pending'],
        [2, 'superseded'],
      ]);
      const claimed = await o.queue.claim('am', Date.now(), 10, LEASE);
      expect(claimed.map((i) => i.notification.sequence)).toEqual([3]);
      // Another dedupKey or notifier is not touched.
      await o.queue.enqueue(['am'], notification('i2', 1));
      await o.queue.enqueue(['hook'], notification('i1', 1));
      expect(await o.queue.pendingCounts()).toEqual(
        new Map([
          ['am', 2],
          ['hook', 1],
        ]),
      );
      await o.close();
    });

    it('a claim leases its items until recorded, released or the lease ends', async () => {
      const o = await open();
      await o.queue.enqueue(['am'], notification('i1', 1));
      await o.queue.enqueue(['am'], notification('i2', 1));
      await o.queue.enqueue(['am'], notification('i3', 1));
      const now = Date.now();
      const first = await o.queue.claim('am', now, 2, LEASE);
      expect(first.map((i) => i.notification.incidentId)).toEqual(['i1', 'i2']);
      expect((await o.queue.claim('am', now, 10, LEASE)).map((i) => i.notification.incidentId)).toEqual([
        'i3',
      ]);
      expect(await o.queue.claim('am', now, 10, LEASE)).toEqual([]);
      await o.queue.release(first[0]!.id);
      expect((await o.queue.claim('am', now, 10, LEASE)).map((i) => i.notification.incidentId)).toEqual([
        'i1',
      ]);
      // A process that died mid-attempt: its lease runs out and the items are claimed again.
      expect(await o.queue.claim('am', now + LEASE + 1, 10, LEASE)).toHaveLength(3);
      await o.close();
    });

    it('while one item of a dedupKey is in flight, a newer one waits for its outcome', async () => {
      const o = await open();
      await o.queue.enqueue(['am'], notification('i1', 1));
      const now = Date.now();
      const [firing] = await o.queue.claim('am', now, 10, LEASE);
      await o.queue.enqueue(['am'], notification('i1', 2, { status: 'resolved', endsAt: 1_700_000_100_000 }));
      expect(await o.queue.claim('am', Date.now(), 10, LEASE)).toEqual([]);
      // The in-flight one was superseded meanwhile; its receiver accepted it anyway: a fact.
      await o.queue.record(
        { itemId: firing!.id, attempt: 1, atMs: now, durationMs: 5, outcome: 'sent', status: 200 },
        {
          state: 'delivered',
        },
      );
      const [resolution] = await o.queue.claim('am', Date.now(), 10, LEASE);
      expect(resolution?.notification.status).toBe('resolved');
      expect((await o.queue.list()).map((i) => i.state)).toEqual(['delivered', 'pending']);
      await o.close();
    });

    it('records every attempt and what follows: retry later, delivered, dead', async () => {
      let o = await open();
      await o.queue.enqueue(['am'], notification('i1', 1));
      await o.queue.enqueue(['am'], notification('i2', 1));
      const now = Date.now();
      const [a, b] = await o.queue.claim('am', now, 10, LEASE);
      await o.queue.record(
        {
          itemId: a!.id,
          attempt: 1,
          atMs: now,
          durationMs: 12,
          outcome: 'retry',
          status: 503,
          error: 'HTTP 503',
        },
        { state: 'pending', nextAttemptMs: now + 5000 },
      );
      await o.queue.record(
        {
          itemId: b!.id,
          attempt: 1,
          atMs: now,
          durationMs: 3,
          outcome: 'failed',
          status: 400,
          error: 'HTTP 400',
        },
        { state: 'dead' },
      );
      expect(await o.queue.claim('am', now + 4999, 10, LEASE)).toEqual([]);
      o = await o.reopen();
      const [again] = await o.queue.claim('am', now + 5000, 10, LEASE);
      expect(again).toMatchObject({
        id: a!.id,
        attempts: 1,
        lastError: 'HTTP 503',
        nextAttemptMs: now + 5000,
      });
      await o.queue.record(
        { itemId: a!.id, attempt: 2, atMs: now + 5000, durationMs: 8, outcome: 'sent', status: 202 },
        { state: 'delivered' },
      );
      expect(await o.queue.claim('am', now + 10 ** 9, 10, LEASE)).toEqual([]);
      expect(await o.queue.attempts(a!.id)).toEqual([
        {
          itemId: a!.id,
          attempt: 1,
          atMs: now,
          durationMs: 12,
          outcome: 'retry',
          status: 503,
          error: 'HTTP 503',
        },
        { itemId: a!.id, attempt: 2, atMs: now + 5000, durationMs: 8, outcome: 'sent', status: 202 },
      ]);
      expect((await o.queue.list({ state: 'dead' })).map((i) => i.id)).toEqual([b!.id]);
      expect(
        (await o.queue.list({ dedupKey: 'default/rule-a/i1', notifier: 'am' })).map((i) => i.state),
      ).toEqual(['delivered']);
      expect(await o.queue.pendingCounts()).toEqual(new Map());
      await o.close();
    });

    it('prunes finished items (and their attempts) older than a time, never pending ones', async () => {
      const o = await open();
      await o.queue.enqueue(['am'], notification('i1', 1));
      await o.queue.enqueue(['am'], notification('i2', 1));
      await o.queue.enqueue(['am'], notification('i3', 1));
      const now = Date.now();
      const [a] = await o.queue.claim('am', now, 1, LEASE);
      await o.queue.record(
        { itemId: a!.id, attempt: 1, atMs: now, durationMs: 1, outcome: 'sent', status: 200 },
        {
          state: 'delivered',
        },
      );
      expect(await o.queue.prune(now - 60_000)).toBe(0);
      expect(await o.queue.prune(Date.now() + 1)).toBe(1);
      expect((await o.queue.list()).map((i) => i.notification.incidentId)).toEqual(['i2', 'i3']);
      expect(await o.queue.attempts(a!.id)).toEqual([]);
      await o.close();
    });
  });
}
