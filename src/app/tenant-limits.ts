/** One tenant's limits: `limits.tenants.<name>` over the defaults in `limits` (STYLE 18). */
import type { TenantLimits } from '../adapters/http/tenant-limits.ts';
import type { Config } from '../config/schema.ts';

export interface PointRate {
  perSecond: number;
  /** Bucket size; a request larger than it drains the bucket below zero (Cache.takeTokens). */
  burst: number;
}

/** The tenant's ingest token bucket, or undefined when it has no points/s limit. */
export function pointRateOf(limits: Config['limits'], tenant: string): PointRate | undefined {
  const own = limits.tenants[tenant];
  const perSecond = own?.ingestPointsPerSecond ?? limits.ingestPointsPerSecond;
  if (perSecond <= 0) return undefined;
  const burst = own?.ingestBurstPoints ?? limits.ingestBurstPoints;
  return { perSecond, burst: burst > 0 ? burst : Math.max(1, Math.ceil(perSecond)) };
}

/** The series a tenant may have, or undefined when only the deployment-wide ingest.maxSeries applies. */
export function maxSeriesOf(limits: Config['limits'], tenant: string): number | undefined {
  return limits.tenants[tenant]?.maxSeries ?? limits.maxSeries;
}

/** The HTTP edge's per-tenant limits (adapters/http/tenant-limits.ts) from the config. */
export function httpLimitsOf(
  config: Pick<Config, 'limits' | 'http'>,
  refused: (tenant: string, limit: string) => void,
): TenantLimits {
  const { limits } = config;
  return {
    bodyLimitOf: (tenant) => limits.tenants[tenant]?.bodyLimitBytes ?? limits.bodyLimitBytes,
    queryOf: (tenant) => {
      const own = limits.tenants[tenant];
      return {
        maxPoints: own?.queryMaxPoints ?? limits.queryMaxPoints,
        maxRangeMs: own?.queryMaxRangeMs ?? limits.queryMaxRangeMs,
        timeoutMs: own?.queryTimeoutMs ?? limits.queryTimeoutMs ?? config.http.queryTimeoutMs,
      };
    },
    refused,
  };
}

/** How long the tenant's points and closed anomalies are kept, in ms; 0 = forever. */
export function retentionOf(limits: Config['limits'], tenant: string): number {
  return limits.tenants[tenant]?.retentionMs ?? limits.retentionMs;
}

/** The alerting service's per-tenant caps (limits.maxAlertRules, limits.maxSilences). */
export function alertingLimitsOf(
  limits: Config['limits'],
  refused: (tenant: string, limit: string) => void,
): { rulesOf(tenant: string): number; silencesOf(tenant: string): number; refused: typeof refused } {
  return {
    rulesOf: (tenant) => limits.tenants[tenant]?.maxAlertRules ?? limits.maxAlertRules,
    silencesOf: (tenant) => limits.tenants[tenant]?.maxSilences ?? limits.maxSilences,
    refused,
  };
}
