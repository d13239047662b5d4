/**
 * Per-tenant limits at the HTTP edge (limits.* in the config, with limits.tenants.<name>
 * overrides): the request body a tenant may send, checked on `Content-Length` before the body is
 * read and counted as it arrives for bodies without one; and what one query may cost (points
 * read, range, time). Each refusal is counted per tenant and limit (/metrics
 * vigil_limit_refusals_total), so one tenant's flood shows as its own.
 */
import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { VigilError } from '../../core/errors.ts';
import { tenantOf } from './tenant.ts';

export interface QueryLimits {
  /** Points one query may read (422 above). */
  maxPoints: number;
  /** Longest from..to of a points query; 0 = any. */
  maxRangeMs: number;
  /** Time budget of one query (503 past it). */
  timeoutMs: number;
}

export interface TenantLimits {
  /** The largest body the tenant may send, as received; undefined: http.bodyLimitBytes alone. */
  bodyLimitOf(tenant: string): number | undefined;
  queryOf(tenant: string): QueryLimits;
  /** Counts a refusal of `tenant` by the limit named `limit` (e.g. `bodyLimitBytes`). */
  refused(tenant: string, limit: string): void;
}

const tooLarge = (tenant: string, limit: number) =>
  new VigilError(
    'VIGIL_ERR_BODY_TOO_LARGE',
    `request body is larger than tenant ${tenant}'s limits.bodyLimitBytes (${limit} bytes)`,
  );

/** Refuses bodies over the tenant's limit: on Content-Length at once, else once that many bytes arrived. */
export function installTenantBodyLimit(app: FastifyInstance, limits: TenantLimits): void {
  // After authentication (its onRequest hook is installed first), so the tenant is known.
  app.addHook('onRequest', async (req) => {
    const tenant = tenantOf(req);
    const limit = limits.bodyLimitOf(tenant);
    const length = Number(req.headers['content-length']);
    if (limit !== undefined && Number.isFinite(length) && length > limit) {
      limits.refused(tenant, 'bodyLimitBytes');
      throw tooLarge(tenant, limit);
    }
  });
  app.addHook('preParsing', async (req, _reply, payload) => {
    const tenant = tenantOf(req);
    const limit = limits.bodyLimitOf(tenant);
    if (limit === undefined || req.headers['content-length'] !== undefined) return payload;
    return payload.pipe(
      new ByteCap(limit, () => {
        limits.refused(tenant, 'bodyLimitBytes');
        return tooLarge(tenant, limit);
      }),
    ) as Readable;
  });
}

/** Passes bytes through until more than `limit` have gone by, then fails with `error()`. */
class ByteCap extends Transform {
  #seen = 0;
  readonly #limit: number;
  readonly #error: () => Error;

  constructor(limit: number, error: () => Error) {
    super();
    this.#limit = limit;
    this.#error = error;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#limit) done(this.#error());
    else done(null, chunk);
  }
}
