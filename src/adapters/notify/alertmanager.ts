/**
 * Prometheus Alertmanager v2 notifier: `POST <url>/api/v2/alerts` with one alert. Labels are sent
 * as the alerter made them (they are Alertmanager's identity of the alert: the same labels update
 * the same alert); the severity joins the annotations when they have none. A firing notification
 * has no `endsAt`, so Alertmanager keeps it active for its `resolve_timeout` (default 5 min)
 * unless it is sent again; the resolution carries `endsAt` (the incident's end, in the past),
 * which resolves it at once. Times are RFC 3339 (UTC, milliseconds).
 */
import type { AlertNotification } from '../../core/alerting/notification.ts';
import type { Notifier, SendOutcome } from '../../ports/notifier.ts';
import { post } from './http-post.ts';

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL: string;
}

export function alertmanagerAlert(n: AlertNotification): AlertmanagerAlert {
  return {
    labels: { ...n.labels },
    annotations: { severity: n.severity, ...n.annotations },
    startsAt: new Date(n.startsAt).toISOString(),
    ...(n.status === 'resolved' && n.endsAt !== undefined
      ? { endsAt: new Date(n.endsAt).toISOString() }
      : {}),
    generatorURL: n.generatorURL,
  };
}

export class AlertmanagerNotifier implements Notifier {
  readonly name: string;
  readonly #endpoint: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(
    name: string,
    o: { url: string; timeoutMs: number; headers?: Record<string, string> | undefined },
  ) {
    this.name = name;
    this.#endpoint = `${o.url.replace(/\/+$/, '')}/api/v2/alerts`;
    this.#headers = { ...o.headers, 'content-type': 'application/json' };
    this.#timeoutMs = o.timeoutMs;
  }

  send(n: AlertNotification, signal?: AbortSignal): Promise<SendOutcome> {
    return post({
      url: this.#endpoint,
      body: JSON.stringify([alertmanagerAlert(n)]),
      headers: this.#headers,
      timeoutMs: this.#timeoutMs,
      signal,
    });
  }
}
