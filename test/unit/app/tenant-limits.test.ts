import { describe, expect, it } from 'vitest';
import { pointRateOf } from '../../../src/app/tenant-limits.ts';
import { loadConfig } from '../../../src/config/load.ts';

describe('per-tenant limits', () => {
  const limits = loadConfig({
    overrides: {
      limits: {
        ingestPointsPerSecond: 1000,
        tenants: {
          acme: { ingestPointsPerSecond: 50_000, ingestBurstPoints: 200_000 },
          free: { ingestPointsPerSecond: 0 },
        },
      },
    },
  }).limits;

  it('a tenant without an override gets the defaults, its burst one second of the rate', () => {
    expect(pointRateOf(limits, 'default')).toEqual({ perSecond: 1000, burst: 1000 });
  });

  it('an override replaces the default key by key; 0 means no limit', () => {
    expect(pointRateOf(limits, 'acme')).toEqual({ perSecond: 50_000, burst: 200_000 });
    expect(pointRateOf(limits, 'free')).toBeUndefined();
  });

  it('no limit by default', () => {
    expect(pointRateOf(loadConfig().limits, 'default')).toBeUndefined();
  });

  it('an unknown key under a tenant is refused at load, naming its path', () => {
    expect(() => loadConfig({ overrides: { limits: { tenants: { acme: { pointz: 1 } } } } })).toThrow(
      /limits\.tenants\.acme.*pointz: unknown key/,
    );
  });
});
