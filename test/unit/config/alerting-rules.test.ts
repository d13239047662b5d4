import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.ts';

describe('alerting.rules in the config file', () => {
  it('are filled with defaults', () => {
    const c = validateConfig({ alerting: { rules: [{ name: 'lat', match: 'latency' }] } });
    expect(c.alerting.rules[0]).toMatchObject({ name: 'lat', severity: 'warning', groupGapMs: 300_000 });
    expect(validateConfig({}).alerting.rules).toEqual([]);
  });

  it('are rejected at start with the path of the bad field', () => {
    expect(() => validateConfig({ alerting: { rules: [{ name: 'lat', match: 'latency{' }] } })).toThrow(
      /alerting\.rules\[0\]\.match/,
    );
    expect(() =>
      validateConfig({ alerting: { rules: [{ name: 'a', match: 'x', annotations: { s: '{{what}}' } }] } }),
    ).toThrow(/alerting\.rules\[0\]\.annotations\.s: unknown placeholder/);
    expect(() =>
      validateConfig({
        alerting: {
          rules: [
            { name: 'a', match: 'x' },
            { name: 'a', match: 'y' },
          ],
        },
      }),
    ).toThrow(/alerting\.rules\[1\]\.name: a is declared twice/);
    expect(() =>
      validateConfig({ alerting: { rules: [{ name: 'a', match: 'x', notifiers: ['ops'] }] } }),
    ).toThrow(/alerting\.rules\[0\]\.notifiers\.0: no notifier "ops" in alerting\.notifiers/);
    expect(() =>
      validateConfig({ alerting: { rules: [{ name: 'a', match: 'x', severity: 'loud' }] } }),
    ).toThrow(/alerting\.rules\.0\.severity/);
  });
});
