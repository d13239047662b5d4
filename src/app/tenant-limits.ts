/** One tenant's limits: `limits.tenants.<name>` over the defaults in `limits` (STYLE 18). */
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
