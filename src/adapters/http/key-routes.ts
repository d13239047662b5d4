/**
 * The admin API for API keys (scope `admin`): create (the key is in the answer once, never again),
 * list (no secrets, no hashes) and revoke, each within the caller's own tenant: an admin key of
 * one tenant neither sees nor changes another's keys (`vigil keys` on the host manages them all). Rotation is create-then-revoke: both keys work until
 * the old one is revoked, and every replica stops accepting it within the key cache's TTL.
 */
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { parseExpiry, SCOPES, type Scope } from '../../core/api-key.ts';
import { VigilError } from '../../core/errors.ts';
import type { ApiKeyInfo } from '../../ports/api-key-store.ts';
import { tenantOf } from './tenant.ts';

/** What the routes need of the key service (app/api-keys.ts). */
export interface KeyAdmin {
  create(c: {
    tenant?: string;
    scopes: readonly Scope[];
    name?: string;
    expiresMs?: number;
  }): Promise<{ key: string; info: ApiKeyInfo }>;
  list(): Promise<ApiKeyInfo[]>;
  revoke(id: string): Promise<boolean>;
}

export interface KeyRoutesOptions {
  keys: KeyAdmin;
  now: () => number;
}

const ScopeSchema = Type.Union(
  SCOPES.map((s) => Type.Literal(s)),
  { description: SCOPES.join(', ') },
);

const KeyOut = Type.Object({
  id: Type.String({ description: 'public id: the key reads vgl_<id>_<secret>' }),
  tenant: Type.String(),
  scopes: Type.Array(ScopeSchema),
  name: Type.String(),
  createdMs: Type.Number(),
  expiresMs: Type.Optional(Type.Number()),
  revokedMs: Type.Optional(Type.Number()),
});

export async function keyRoutes(app: FastifyInstance, opts: KeyRoutesOptions): Promise<void> {
  app.post(
    '/api/v1/keys',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Create an API key; the answer holds the key, shown this once only',
        tags: ['admin'],
        body: Type.Object(
          {
            tenant: Type.Optional(
              Type.String({ description: "the caller's own tenant (the only one an admin key manages)" }),
            ),
            scopes: Type.Array(ScopeSchema, { minItems: 1, maxItems: SCOPES.length }),
            name: Type.Optional(Type.String({ maxLength: 200 })),
            expires: Type.Optional(
              Type.String({ description: 'a duration from now (90d, 12h, 30m, 2w) or an RFC 3339 date' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            key: Type.String({ description: 'vgl_<id>_<secret>: store it now, it cannot be shown again' }),
            info: KeyOut,
          }),
        },
      },
    },
    async (req, reply) => {
      const body = req.body as { tenant?: string; scopes: Scope[]; name?: string; expires?: string };
      let expiresMs: number | undefined;
      if (body.expires !== undefined) {
        try {
          expiresMs = parseExpiry(body.expires, opts.now());
        } catch (err) {
          throw new VigilError('VIGIL_ERR_BAD_REQUEST', (err as Error).message, {
            location: { field: 'expires' },
          });
        }
      }
      const tenant = tenantOf(req);
      if (body.tenant !== undefined && body.tenant !== tenant) {
        throw new VigilError(
          'VIGIL_ERR_FORBIDDEN',
          `an admin key creates keys of its own tenant (${tenant}), not of ${JSON.stringify(body.tenant)}; use vigil keys create on the host`,
          { location: { field: 'tenant' } },
        );
      }
      const created = await opts.keys.create({
        scopes: body.scopes,
        tenant,
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(expiresMs !== undefined ? { expiresMs } : {}),
      });
      req.log.info({ keyId: created.info.id, by: req.principal?.keyId ?? 'anonymous' }, 'api key created');
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/api/v1/keys',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'List API keys (ids, tenants, scopes, dates; never secrets or hashes)',
        tags: ['admin'],
        response: { 200: Type.Object({ keys: Type.Array(KeyOut) }) },
      },
    },
    async (req) => ({ keys: (await opts.keys.list()).filter((k) => k.tenant === tenantOf(req)) }),
  );

  app.delete(
    '/api/v1/keys/:id',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Revoke an API key; every API replica refuses it within auth.keyCacheMs',
        tags: ['admin'],
        params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{16}$' }) }),
        response: { 204: Type.Null({ description: 'revoked (or was already)' }) },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const own = (await opts.keys.list()).some((k) => k.id === id && k.tenant === tenantOf(req));
      if (!own || !(await opts.keys.revoke(id))) {
        throw new VigilError('VIGIL_ERR_NOT_FOUND', `no API key ${id}`, { location: { field: 'id' } });
      }
      req.log.info({ keyId: id, by: req.principal?.keyId ?? 'anonymous' }, 'api key revoked');
      return reply.code(204).send();
    },
  );
}
