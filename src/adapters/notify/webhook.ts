/**
 * Generic JSON webhook notifier: `POST <url>` with the notification as JSON (times as RFC 3339),
 * signed per attempt with HMAC-SHA256 (./webhook-signature.ts). `X-Vigil-Delivery` is
 * `<dedupKey>#<sequence>`, the same on every retry of one notification, for receivers that
 * deduplicate; a receiver keeps the highest `sequence` of a `dedupKey`.
 */
import type { AlertNotification } from '../../core/alerting/notification.ts';
import type { Notifier, SendOutcome } from '../../ports/notifier.ts';
import { post } from './http-post.ts';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './webhook-signature.ts';

export const DELIVERY_HEADER = 'X-Vigil-Delivery';

/** The webhook's JSON body (docs/alerting.md documents each field). */
export function webhookBody(n: AlertNotification): Record<string, unknown> {
  return {
    version: 1,
    dedupKey: n.dedupKey,
    sequence: n.sequence,
    status: n.status,
    severity: n.severity,
    tenant: n.tenant,
    rule: n.rule,
    incidentId: n.incidentId,
    labels: n.labels,
    annotations: n.annotations,
    startsAt: new Date(n.startsAt).toISOString(),
    ...(n.endsAt !== undefined ? { endsAt: new Date(n.endsAt).toISOString() } : {}),
    generatorURL: n.generatorURL,
    createdAt: new Date(n.createdMs).toISOString(),
  };
}

export class WebhookNotifier implements Notifier {
  readonly name: string;
  readonly #o: {
    url: string;
    secret: string;
    timeoutMs: number;
    headers?: Record<string, string> | undefined;
  };

  constructor(
    name: string,
    o: { url: string; secret: string; timeoutMs: number; headers?: Record<string, string> | undefined },
  ) {
    this.name = name;
    this.#o = o;
  }

  send(n: AlertNotification, signal?: AbortSignal): Promise<SendOutcome> {
    const body = JSON.stringify(webhookBody(n));
    const ts = Math.floor(Date.now() / 1000);
    return post({
      url: this.#o.url,
      body,
      headers: {
        ...this.#o.headers,
        'content-type': 'application/json',
        [TIMESTAMP_HEADER]: String(ts),
        [SIGNATURE_HEADER]: signWebhook(this.#o.secret, ts, body),
        [DELIVERY_HEADER]: `${n.dedupKey}#${n.sequence}`,
      },
      timeoutMs: this.#o.timeoutMs,
      signal,
    });
  }
}
