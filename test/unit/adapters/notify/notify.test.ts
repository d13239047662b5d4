/**
 * The notifiers' pure parts: how an answer is classified (sent, retried, failed), Retry-After,
 * the webhook signature (sign, verify, refuse tampering and stale timestamps), and the bodies
 * Alertmanager, the webhook and Slack receive.
 */
import { describe, expect, it } from 'vitest';
import {
  alertmanagerAlert,
  classify,
  retryAfterMs,
  signWebhook,
  slackMessage,
  verifyWebhook,
  webhookBody,
} from '../../../../src/adapters/notify/index.ts';
import type { AlertNotification } from '../../../../src/core/alerting/notification.ts';

const firing: AlertNotification = {
  dedupKey: 'acme/cpu-high/inc-1',
  tenant: 'acme',
  rule: 'cpu-high',
  incidentId: 'inc-1',
  status: 'firing',
  sequence: 1,
  severity: 'critical',
  labels: { alertname: 'cpu-high', vigil_incident: 'inc-1', service: 'api' },
  annotations: { summary: 'CPU <high> & rising', root_cause: 'cpu{host="a"}' },
  startsAt: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
  generatorURL: 'http://vigil:8080/api/v1/incidents/inc-1',
  createdMs: Date.UTC(2026, 0, 2, 3, 4, 6),
};
const resolved: AlertNotification = {
  ...firing,
  status: 'resolved',
  sequence: 2,
  endsAt: Date.UTC(2026, 0, 2, 3, 14, 5),
};

describe('classify', () => {
  const now = Date.UTC(2026, 0, 1);
  it('2xx is sent', () => {
    expect(classify(200, null, 'ok', now)).toEqual({ outcome: 'sent', status: 200 });
    expect(classify(204, null, '', now)).toEqual({ outcome: 'sent', status: 204 });
  });
  it('5xx, 408, 425 and 429 are retried, with Retry-After when given', () => {
    expect(classify(503, null, 'down', now)).toEqual({
      outcome: 'retry',
      status: 503,
      error: 'HTTP 503: down',
    });
    expect(classify(429, '7', '', now)).toEqual({
      outcome: 'retry',
      status: 429,
      error: 'HTTP 429',
      retryAfterMs: 7000,
    });
    expect(classify(408, null, '', now).outcome).toBe('retry');
    expect(classify(425, null, '', now).outcome).toBe('retry');
  });
  it('other 4xx and redirects fail for good', () => {
    expect(classify(400, null, 'invalid_payload', now)).toEqual({
      outcome: 'failed',
      status: 400,
      error: 'HTTP 400: invalid_payload',
    });
    expect(classify(404, null, '', now).outcome).toBe('failed');
    expect(classify(302, null, '', now).outcome).toBe('failed');
  });
  it('keeps at most 300 characters of a refusing body', () => {
    const out = classify(400, null, 'x'.repeat(5000), now);
    expect(out.outcome === 'failed' && out.error.length).toBe('HTTP 400: '.length + 300);
  });
});

describe('retryAfterMs', () => {
  const now = Date.UTC(2026, 0, 1, 0, 0, 0);
  it('reads delta-seconds and HTTP dates', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-5', now)).toBeUndefined();
  });
});

describe('webhook signature', () => {
  const secret = 'a-secret-of-some-length';
  const body = JSON.stringify(webhookBody(firing));
  const nowMs = 1_767_225_600_000;
  const ts = String(nowMs / 1000);
  const signature = signWebhook(secret, nowMs / 1000, body);

  it('is sha256=<hex of HMAC-SHA256 over "<timestamp>.<body>">', () => {
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhook({ secret, body, timestamp: ts, signature, nowMs })).toEqual({ ok: true });
    expect(verifyWebhook({ secret, body: Buffer.from(body), timestamp: ts, signature, nowMs }).ok).toBe(true);
  });

  it('refuses a tampered body, another key, a moved timestamp, missing headers', () => {
    const bad = (c: Partial<Parameters<typeof verifyWebhook>[0]>) =>
      verifyWebhook({ secret, body, timestamp: ts, signature, nowMs, ...c });
    expect(bad({ body: body.replace('critical', 'info') })).toEqual({
      ok: false,
      reason: 'signature does not match the body',
    });
    expect(bad({ secret: 'another-secret-entirely' }).ok).toBe(false);
    expect(bad({ timestamp: String(nowMs / 1000 + 1) }).ok).toBe(false);
    expect(bad({ timestamp: undefined })).toEqual({
      ok: false,
      reason: 'missing or malformed X-Vigil-Timestamp',
    });
    expect(bad({ signature: undefined })).toEqual({
      ok: false,
      reason: 'missing or malformed X-Vigil-Signature',
    });
  });

  it('refuses a timestamp outside the replay window (default 300 s)', () => {
    expect(verifyWebhook({ secret, body, timestamp: ts, signature, nowMs: nowMs + 300_000 }).ok).toBe(true);
    expect(verifyWebhook({ secret, body, timestamp: ts, signature, nowMs: nowMs + 301_000 })).toEqual({
      ok: false,
      reason: 'X-Vigil-Timestamp is more than 300 s away from now',
    });
    expect(
      verifyWebhook({ secret, body, timestamp: ts, signature, nowMs: nowMs + 60_000, toleranceSeconds: 30 })
        .ok,
    ).toBe(false);
  });
});

describe('bodies', () => {
  it('Alertmanager: labels as given, RFC 3339 times, endsAt only when resolved', () => {
    expect(alertmanagerAlert(firing)).toEqual({
      labels: firing.labels,
      annotations: { severity: 'critical', ...firing.annotations },
      startsAt: '2026-01-02T03:04:05.678Z',
      generatorURL: firing.generatorURL,
    });
    expect(alertmanagerAlert(resolved).endsAt).toBe('2026-01-02T03:14:05.000Z');
  });

  it('webhook: the notification with RFC 3339 times', () => {
    expect(webhookBody(resolved)).toMatchObject({
      version: 1,
      dedupKey: 'acme/cpu-high/inc-1',
      sequence: 2,
      status: 'resolved',
      startsAt: '2026-01-02T03:04:05.678Z',
      endsAt: '2026-01-02T03:14:05.000Z',
      createdAt: '2026-01-02T03:04:06.000Z',
    });
  });

  it('Slack: text and blocks, mrkdwn escaped, incident linked', () => {
    const m = slackMessage(firing);
    expect(m.text).toBe('[FIRING:critical] cpu-high: CPU &lt;high&gt; &amp; rising');
    const json = JSON.stringify(m.blocks);
    expect(json).toContain('<http://vigil:8080/api/v1/incidents/inc-1|inc-1>');
    expect(json).toContain('service=api');
    expect(slackMessage(resolved).text).toMatch(/^\[RESOLVED\] cpu-high/);
    expect(JSON.stringify(slackMessage(resolved).blocks)).toContain('*Resolved*');
  });
});
