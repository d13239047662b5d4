/**
 * Notifier: sends one AlertNotification to one receiver (Alertmanager, a webhook, Slack) and says
 * how it went. Delivery (app/notification-delivery.ts) decides what happens next from the
 * outcome: `sent` is done, `retry` is tried again after a backoff (at least `retryAfterMs` when the
 * receiver asked for it), `failed` will fail the same way again and is not retried.
 */
import type { AlertNotification } from '../core/alerting/notification.ts';

export type SendOutcome =
  | { outcome: 'sent'; status: number }
  /** A network error, a timeout, 408, 429 or 5xx: worth another attempt. */
  | { outcome: 'retry'; status?: number; error: string; retryAfterMs?: number }
  /** Any other answer (4xx, a redirect): the receiver refuses this request as it is. */
  | { outcome: 'failed'; status?: number; error: string };

export interface Notifier {
  /** Its name in `alerting.notifiers`. */
  readonly name: string;
  /**
   * One attempt, bounded by the notifier's own timeout; MUST NOT throw (every failure is an
   * outcome). `signal` aborts it early (shutdown).
   */
  send(n: AlertNotification, signal?: AbortSignal): Promise<SendOutcome>;
}
