/**
 * Builds the notifiers of `alerting.notifiers` (src/config/notifiers.ts): Alertmanager v2, the
 * signed JSON webhook and Slack's incoming webhook, each one small class over one bounded POST
 * (./http-post.ts). The webhook's key is resolved by the caller (inline, file or environment).
 */
import type { NotifierSettings } from '../../config/notifiers.ts';
import type { Notifier } from '../../ports/notifier.ts';
import { AlertmanagerNotifier } from './alertmanager.ts';
import { SlackNotifier } from './slack.ts';
import { WebhookNotifier } from './webhook.ts';

export { AlertmanagerNotifier, alertmanagerAlert } from './alertmanager.ts';
export { classify, retryAfterMs } from './http-post.ts';
export { SlackNotifier, slackMessage } from './slack.ts';
export { DELIVERY_HEADER, WebhookNotifier, webhookBody } from './webhook.ts';
export {
  DEFAULT_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
  verifyWebhook,
} from './webhook-signature.ts';

/** `secret` is required for a webhook (the key itself, already read from its file or variable). */
export function createNotifier(name: string, s: NotifierSettings, secret?: string): Notifier {
  const common = { url: s.url, timeoutMs: s.timeoutMs, headers: s.headers };
  switch (s.type) {
    case 'alertmanager':
      return new AlertmanagerNotifier(name, common);
    case 'slack':
      return new SlackNotifier(name, common);
    case 'webhook':
      if (secret === undefined || secret === '')
        throw new Error(`notifier ${name}: a webhook needs its secret`);
      return new WebhookNotifier(name, { ...common, secret });
  }
}
