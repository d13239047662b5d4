/**
 * Slack incoming-webhook notifier: `POST <hook url>` with `text` (the line shown in notifications
 * and by clients without blocks) and Block Kit `blocks`: title and summary, severity, incident
 * link, start (and end), root cause, labels. Slack answers 200 `ok`; its refusals (400
 * invalid_payload, 403, 404 channel_not_found, 410 channel_is_archived) are final, 429 and 5xx
 * are retried (http-post.ts).
 */
import type { AlertNotification } from '../../core/alerting/notification.ts';
import type { Notifier, SendOutcome } from '../../ports/notifier.ts';
import { post } from './http-post.ts';

/** Slack's mrkdwn needs only these three escaped (https://api.slack.com/reference/surfaces/formatting). */
const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

export function slackMessage(n: AlertNotification): { text: string; blocks: unknown[] } {
  const state = n.status === 'firing' ? `FIRING:${n.severity}` : 'RESOLVED';
  const summary = n.annotations.summary ?? n.labels.alertname ?? n.rule;
  const text = `[${state}] ${n.rule}: ${summary}`;
  const fields = [
    `*Severity*\n${esc(n.severity)}`,
    `*Incident*\n<${n.generatorURL}|${esc(n.incidentId)}>`,
    `*Started*\n${new Date(n.startsAt).toISOString()}`,
    ...(n.endsAt !== undefined ? [`*Resolved*\n${new Date(n.endsAt).toISOString()}`] : []),
    ...(n.annotations.root_cause !== undefined ? [`*Root cause*\n${esc(n.annotations.root_cause)}`] : []),
  ];
  const labels = Object.entries(n.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return {
    text: esc(text),
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `*${esc(text)}*${n.annotations.description ? `\n${esc(n.annotations.description)}` : ''}`,
        },
      },
      { type: 'section', fields: fields.map((f) => ({ type: 'mrkdwn', text: f })) },
      ...(labels === '' ? [] : [{ type: 'context', elements: [{ type: 'mrkdwn', text: esc(labels) }] }]),
    ],
  };
}

export class SlackNotifier implements Notifier {
  readonly name: string;
  readonly #o: { url: string; timeoutMs: number; headers?: Record<string, string> | undefined };

  constructor(
    name: string,
    o: { url: string; timeoutMs: number; headers?: Record<string, string> | undefined },
  ) {
    this.name = name;
    this.#o = o;
  }

  send(n: AlertNotification, signal?: AbortSignal): Promise<SendOutcome> {
    return post({
      url: this.#o.url,
      body: JSON.stringify(slackMessage(n)),
      headers: { ...this.#o.headers, 'content-type': 'application/json' },
      timeoutMs: this.#o.timeoutMs,
      signal,
    });
  }
}
