/** `--demo` keeps the samples' points (their timestamps are years old) unless the config says otherwise. */
import { describe, expect, it } from 'vitest';
import { demoConfig } from '../../../src/app/demo.ts';
import { retentionOf } from '../../../src/app/tenant-limits.ts';
import { validateConfig } from '../../../src/config/load.ts';

describe('demoConfig', () => {
  it("turns the default tenant's retention off, other tenants keep theirs", () => {
    const config = demoConfig(validateConfig({ limits: { tenants: { acme: { retentionMs: 1000 } } } }));
    expect(retentionOf(config.limits, 'default')).toBe(0);
    expect(retentionOf(config.limits, 'acme')).toBe(1000);
    expect(retentionOf(config.limits, 'other')).toBe(30 * 86_400_000);
  });

  it('keeps a retention the config sets for the default tenant', () => {
    const config = validateConfig({ limits: { tenants: { default: { retentionMs: 5000 } } } });
    expect(retentionOf(demoConfig(config).limits, 'default')).toBe(5000);
  });
});
