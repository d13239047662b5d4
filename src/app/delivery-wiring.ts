/**
 * Wires notification delivery for a composition root: the notifiers of `alerting.notifiers`
 * (webhook keys read from config, a file or the environment), the outbox (embedded: SQLite
 * `outbox.db` under the data dir; `vigil alerter`: the PostgreSQL queue it passes), the delivery loop and its /metrics series. `startDelivery` returns
 * undefined when no notifier is configured: nothing is opened then.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { createNotifier } from '../adapters/notify/index.ts';
import { openSqliteOutbox } from '../adapters/sqlite/index.ts';
import { type NotifierSettings, notifierSettings } from '../config/notifiers.ts';
import type { Config } from '../config/schema.ts';
import { VigilError } from '../core/errors.ts';
import type { DeliveryQueue, NotificationOutbox } from '../ports/notification-outbox.ts';
import type { Notifier } from '../ports/notifier.ts';
import { NotificationDelivery } from './notification-delivery.ts';

export interface Delivery {
  /** Where the alerter enqueues: durable on return, then sent at once. */
  outbox: NotificationOutbox;
  /** The queue itself: items, attempts, pending counts. */
  queue: DeliveryQueue;
  delivery: NotificationDelivery;
  /** Stops delivery (attempts in flight are abandoned, their items stay pending), closes outbox.db (not a queue passed in). */
  close(): Promise<void>;
}

export interface DeliveryWiring {
  /** Where the counters and the pending gauge are registered. */
  registry?: Registry;
  onError?: (err: unknown, what: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
  now?: () => number;
  /** The queue to deliver from (its owner closes it); default: SQLite `outbox.db`. */
  queue?: DeliveryQueue;
}

export function startDelivery(config: Readonly<Config>, w: DeliveryWiring = {}): Delivery | undefined {
  const settings = notifierSettings(config.alerting.notifiers);
  if (settings.size === 0) return undefined;
  const notifiers = [...settings].map(([name, s]) => buildNotifier(name, s, w.env ?? process.env));
  const owned = w.queue === undefined;
  const queue =
    w.queue ??
    openSqliteOutbox(
      { dataDir: config.dataDir, synchronous: config.storage.synchronous },
      w.now !== undefined ? { now: w.now } : {},
    );
  const delivery = new NotificationDelivery({
    queue,
    notifiers,
    timeoutMs: (name) => settings.get(name)?.timeoutMs ?? 10_000,
    settings: config.alerting.delivery,
    ...(w.now !== undefined ? { now: w.now } : {}),
    ...(w.onError !== undefined ? { onError: w.onError } : {}),
  });
  if (w.registry !== undefined) registerDeliveryMetrics(w.registry, delivery);
  delivery.start();
  return {
    outbox: delivery,
    queue,
    delivery,
    close: async () => {
      await delivery.close();
      if (owned) await queue.close();
    },
  };
}

function buildNotifier(
  name: string,
  s: NotifierSettings,
  env: Readonly<Record<string, string | undefined>>,
): Notifier {
  if (s.type !== 'webhook') return createNotifier(name, s);
  const path = `alerting.notifiers.${name}`;
  let secret = s.secret;
  if (s.secretFile !== undefined) {
    try {
      secret = readFileSync(s.secretFile, 'utf8').trim();
    } catch (err) {
      throw new VigilError('VIGIL_ERR_CONFIG', `${path}.secretFile: cannot read ${s.secretFile}`, {
        cause: err,
      });
    }
  } else if (s.secretEnv !== undefined) {
    secret = env[s.secretEnv]?.trim();
  }
  if (secret === undefined || secret.length < 16) {
    const from =
      s.secretFile !== undefined ? 'secretFile' : s.secretEnv !== undefined ? 'secretEnv' : 'secret';
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      `${path}.${from}: the webhook key is missing or shorter than 16 characters`,
    );
  }
  return createNotifier(name, s, secret);
}

/** vigil_notifications_{sent,failed,retried}_total and vigil_notifications_pending, per notifier. */
export function registerDeliveryMetrics(registry: Registry, delivery: NotificationDelivery): void {
  const counter = (name: string, help: string, pick: 'sent' | 'failed' | 'retried') =>
    new Counter({
      name,
      help,
      labelNames: ['notifier'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [notifier, c] of delivery.counts) this.inc({ notifier }, c[pick]);
      },
    });
  counter('vigil_notifications_sent_total', 'Notifications a receiver accepted, by notifier.', 'sent');
  counter(
    'vigil_notifications_failed_total',
    'Notifications given up (refused for good, or out of alerting.delivery.maxAttempts), by notifier.',
    'failed',
  );
  counter(
    'vigil_notifications_retried_total',
    'Failed delivery attempts scheduled again with backoff, by notifier.',
    'retried',
  );
  new Gauge({
    name: 'vigil_notifications_pending',
    help: 'Notifications in the outbox waiting for delivery, by notifier.',
    labelNames: ['notifier'],
    registers: [registry],
    async collect() {
      const pending = await delivery.pendingCounts();
      this.reset();
      for (const notifier of delivery.counts.keys()) this.set({ notifier }, pending.get(notifier) ?? 0);
    },
  });
}

/** Without notifiers (`alerting.notifiers` empty): each notification is logged (info) and goes nowhere. */
export function loggingOutbox(logger: Logger): NotificationOutbox {
  return {
    enqueue: async (notifiers, n) => {
      logger.info(
        { notifiers, dedupKey: n.dedupKey, status: n.status, sequence: n.sequence },
        'alert (no delivery)',
      );
    },
  };
}
