/**
 * `alerting.notifiers` and `alerting.delivery`: defaults, and every bad value refused at start
 * with its key path (the schema's checks, the name and secret rules, the webhook key's sources).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDelivery } from '../../../src/app/delivery-wiring.ts';
import { validateConfig } from '../../../src/config/load.ts';
import { notifierSettings } from '../../../src/config/notifiers.ts';

const withNotifiers = (notifiers: unknown, delivery: unknown = {}) =>
  validateConfig({ alerting: { notifiers, delivery } });

const refusal = (notifiers: unknown, delivery: unknown = {}): string => {
  try {
    withNotifiers(notifiers, delivery);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('alerting.notifiers config', () => {
  it('fills the defaults: no notifiers, the delivery policy, each notifier’s timeout', () => {
    const c = validateConfig({});
    expect(c.alerting.notifiers).toEqual({});
    expect(c.alerting.delivery).toEqual({
      maxAttempts: 12,
      initialBackoffMs: 1000,
      maxBackoffMs: 300_000,
      concurrency: 4,
      pollIntervalMs: 250,
      retentionHours: 168,
    });
    const s = notifierSettings(
      withNotifiers({ am: { type: 'alertmanager', url: 'https://am.example:9093' } }).alerting.notifiers,
    );
    expect(s.get('am')).toEqual({ type: 'alertmanager', url: 'https://am.example:9093', timeoutMs: 10_000 });
  });

  it('refuses bad values, naming the key', () => {
    expect(refusal({ x: { type: 'alertmanager', url: 'ftp://am' } })).toContain('alerting.notifiers.x.url:');
    expect(refusal({ x: { type: 'pagerduty', url: 'http://a' } })).toContain('alerting.notifiers.x.type:');
    expect(refusal({ x: { type: 'slack', url: 'http://a', colour: 'red' } })).toContain(
      'alerting.notifiers.x.colour: unknown key',
    );
    expect(refusal({ x: { type: 'slack', url: 'http://a', timeoutMs: 5 } })).toContain(
      'alerting.notifiers.x.timeoutMs:',
    );
    expect(refusal({ 'a b': { type: 'slack', url: 'http://a' } })).toContain(
      "alerting.notifiers.a b: a notifier name has 1 to 64 letters, digits, '_', '.' or '-'",
    );
    expect(refusal({}, { maxAttempts: 0 })).toContain('alerting.delivery.maxAttempts:');
  });

  it('a webhook needs exactly one key source; the others take none', () => {
    expect(refusal({ h: { type: 'webhook', url: 'http://a' } })).toContain(
      'alerting.notifiers.h.secret: a webhook needs exactly one of secret, secretFile, secretEnv',
    );
    expect(
      refusal({ h: { type: 'webhook', url: 'http://a', secret: 'x'.repeat(16), secretEnv: 'HOOK_KEY' } }),
    ).toContain('alerting.notifiers.h.secret: a webhook needs exactly one');
    expect(refusal({ h: { type: 'webhook', url: 'http://a', secret: 'short' } })).toContain(
      'alerting.notifiers.h.secret:',
    );
    expect(refusal({ s: { type: 'slack', url: 'http://a', secretEnv: 'K' } })).toContain(
      'alerting.notifiers.s.secretEnv: only a webhook is signed; slack takes no secret',
    );
  });

  it('a webhook key missing from its file or variable stops the start, naming the key', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-notifiers-'));
    try {
      const fromEnv = validateConfig({
        dataDir,
        alerting: { notifiers: { h: { type: 'webhook', url: 'http://a', secretEnv: 'VIGIL_NO_SUCH_KEY' } } },
      });
      expect(() => startDelivery(fromEnv, { env: {} })).toThrow(
        'alerting.notifiers.h.secretEnv: the webhook key is missing or shorter than 16 characters',
      );
      const fromFile = validateConfig({
        dataDir,
        alerting: {
          notifiers: { h: { type: 'webhook', url: 'http://a', secretFile: join(dataDir, 'nope') } },
        },
      });
      expect(() => startDelivery(fromFile)).toThrow(
        `alerting.notifiers.h.secretFile: cannot read ${dataDir}/nope`,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
