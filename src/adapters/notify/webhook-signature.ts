/**
 * The signature of Vigil's webhook (docs/alerting.md, "Webhook"). Each request carries
 *   X-Vigil-Timestamp: <unix seconds when this attempt was signed>
 *   X-Vigil-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 * A receiver recomputes the HMAC over the raw body bytes it received, compares in constant time
 * and refuses a timestamp further than the tolerance (default 300 s) from its own clock, so a
 * captured request cannot be replayed later. Every attempt is signed afresh.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'X-Vigil-Timestamp';
export const SIGNATURE_HEADER = 'X-Vigil-Signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** `sha256=<hex>` of `<timestampSeconds>.<body>` under `secret`. */
export function signWebhook(secret: string, timestampSeconds: number, body: string | Uint8Array): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestampSeconds}.`);
  mac.update(body);
  return `sha256=${mac.digest('hex')}`;
}

export interface WebhookCheck {
  secret: string;
  /** The raw body as received (before any JSON parsing). */
  body: string | Uint8Array;
  /** Values of the two headers (undefined when missing). */
  timestamp: string | undefined;
  signature: string | undefined;
  nowMs: number;
  toleranceSeconds?: number;
}

/** Whether a received webhook is ours and fresh; `reason` says why not. */
export function verifyWebhook(c: WebhookCheck): { ok: true } | { ok: false; reason: string } {
  if (c.timestamp === undefined || !/^\d{1,12}$/.test(c.timestamp)) {
    return { ok: false, reason: `missing or malformed ${TIMESTAMP_HEADER}` };
  }
  const ts = Number(c.timestamp);
  const tolerance = c.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(c.nowMs / 1000 - ts) > tolerance) {
    return { ok: false, reason: `${TIMESTAMP_HEADER} is more than ${tolerance} s away from now` };
  }
  if (c.signature === undefined || !/^sha256=[0-9a-f]{64}$/.test(c.signature)) {
    return { ok: false, reason: `missing or malformed ${SIGNATURE_HEADER}` };
  }
  const expected = Buffer.from(signWebhook(c.secret, ts, c.body));
  if (!timingSafeEqual(expected, Buffer.from(c.signature))) {
    return { ok: false, reason: 'signature does not match the body' };
  }
  return { ok: true };
}
