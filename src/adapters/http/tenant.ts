/** The tenant a request acts for. */
import type { FastifyRequest } from 'fastify';
import { DEFAULT_TENANT } from '../../core/series.ts';

/** Set by authentication where it runs (the API key's tenant); `default` otherwise. */
export function tenantOf(req: FastifyRequest): string {
  return (req as FastifyRequest & { tenant?: string }).tenant ?? DEFAULT_TENANT;
}
