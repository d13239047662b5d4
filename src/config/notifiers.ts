/**
 * The `alerting` keys of notifiers and delivery (see docs/alerting.md, "Notifiers and delivery").
 * Merged with ./alerting-rules.ts into the one `alerting` section of config/schema.ts.
 *
 * `alerting.notifiers` is a record (name → notifier). TypeBox fills no defaults inside a record's
 * values, so `notifierSettings` completes each entry from the schema below (the defaults are still
 * declared once, here); `notifierProblems` holds the checks a schema cannot say (names, which
 * secret form goes with which type), and config/load.ts reports them with the other errors.
 */
import Type, { type Static, type TProperties } from 'typebox';
import Value from 'typebox/value';

/** A notifier's name: what rules list in their `notifiers` and what the metrics label carries. */
export const NOTIFIER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export const NotifierSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('alertmanager'), Type.Literal('webhook'), Type.Literal('slack')], {
      description:
        'alertmanager: POST <url>/api/v2/alerts (Prometheus Alertmanager v2); webhook: our signed JSON (docs/alerting.md); slack: a Slack incoming-webhook URL',
    }),
    url: Type.String({
      pattern: '^https?://[^\\s/?#]+[^\\s]*$',
      maxLength: 2048,
      description:
        'http:// or https:// URL: the Alertmanager base URL (without /api/v2/alerts), the webhook endpoint, or the Slack incoming-webhook URL',
    }),
    secret: Type.Optional(
      Type.String({
        minLength: 16,
        description:
          'webhook only, one of secret / secretFile / secretEnv: the HMAC-SHA256 key, inline (at least 16 characters)',
      }),
    ),
    secretFile: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'webhook only: a file holding the key (read once at start; surrounding whitespace trimmed), e.g. a mounted Kubernetes secret',
      }),
    ),
    secretEnv: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
        description: 'webhook only: the name of an environment variable holding the key (read once at start)',
      }),
    ),
    timeoutMs: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 120_000,
        default: 10_000,
        description:
          'how long one attempt may take (connect, send, answer) before it is abandoned and retried; a hung receiver holds only its own delivery slot this long',
      }),
    ),
    headers: Type.Optional(
      Type.Record(Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" }), Type.String(), {
        description:
          'extra HTTP headers of every request, e.g. {"Authorization": "Bearer …"} for an Alertmanager behind a proxy; Content-Type and the X-Vigil-* headers are always ours',
      }),
    ),
  },
  { additionalProperties: false },
);

/** One notifier's settings with every default filled in (`notifierSettings`). */
export type NotifierSettings = Static<typeof NotifierSchema> & { timeoutMs: number };

const Delivery = Type.Object(
  {
    maxAttempts: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 12,
      description:
        'attempts per notification and notifier; after the last failed one it is dead (kept, listed, counted in vigil_notifications_failed_total)',
    }),
    initialBackoffMs: Type.Integer({
      minimum: 10,
      default: 1000,
      description:
        'backoff ceiling before the 2nd attempt; it doubles each attempt up to maxBackoffMs, and the wait is drawn uniformly below it (full jitter)',
    }),
    maxBackoffMs: Type.Integer({
      minimum: 10,
      default: 300_000,
      description:
        'largest wait between two attempts, also the cap on a receiver’s Retry-After (429, 503); with the defaults, 12 attempts span about 9 minutes on average (18 at most)',
    }),
    concurrency: Type.Integer({
      minimum: 1,
      maximum: 256,
      default: 4,
      description: 'deliveries in flight at once per notifier; a slow receiver holds only its own slots',
    }),
    pollIntervalMs: Type.Integer({
      minimum: 10,
      maximum: 60_000,
      default: 250,
      description:
        'how often the outbox is read for due retries (a new notification is sent at once, without waiting for a poll)',
    }),
    retentionHours: Type.Integer({
      minimum: 1,
      default: 168,
      description:
        'how long delivered, dead and superseded notifications and their attempts stay in the outbox (checked hourly); a replay of a notification older than this would be sent again',
    }),
  },
  { additionalProperties: false, default: {} },
);

export type DeliverySettings = Static<typeof Delivery>;

export const NotifierKeys = {
  notifiers: Type.Record(Type.String(), NotifierSchema, {
    default: {},
    description:
      'where alerts go, by name (letters, digits, _ . -; at most 64): {"ops": {"type": "alertmanager", "url": "http://am:9093"}}; each entry has the keys below. Empty: no delivery runs',
  }),
  delivery: Delivery,
} satisfies TProperties;

/** `alerting.notifiers` with each entry's defaults filled in. */
export function notifierSettings(
  notifiers: Readonly<Record<string, unknown>>,
): Map<string, NotifierSettings> {
  return new Map(
    Object.entries(notifiers).map(([name, n]) => [
      name,
      Value.Default(NotifierSchema, structuredClone(n)) as NotifierSettings,
    ]),
  );
}

/** What the schema cannot check about `alerting.notifiers`: one line per problem, naming its key path. */
export function notifierProblems(
  notifiers: Readonly<Record<string, Static<typeof NotifierSchema>>>,
): string[] {
  const problems: string[] = [];
  for (const [name, n] of Object.entries(notifiers)) {
    const path = `alerting.notifiers.${name}`;
    if (!NOTIFIER_NAME.test(name)) {
      problems.push(`${path}: a notifier name has 1 to 64 letters, digits, '_', '.' or '-'`);
      continue;
    }
    const forms = (['secret', 'secretFile', 'secretEnv'] as const).filter((k) => n[k] !== undefined);
    if (n.type === 'webhook' && forms.length !== 1) {
      problems.push(`${path}.secret: a webhook needs exactly one of secret, secretFile, secretEnv`);
    }
    if (n.type !== 'webhook' && forms.length > 0) {
      problems.push(`${path}.${forms[0]}: only a webhook is signed; ${n.type} takes no secret`);
    }
  }
  return problems;
}
