/**
 * `GET /api/v1/whoami`: the tenant and scopes the request acts with. The web UI shows the tenant
 * after login and checks a key with it; scripts can use it the same way. It needs `read`, as
 * every page of the UI does, and names only the caller's own tenant.
 */
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { SCOPES } from '../../core/api-key.ts';

export async function whoamiRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/v1/whoami',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'The tenant, key and scopes of this request',
        tags: ['auth'],
        response: {
          200: Type.Object({
            tenant: Type.String(),
            keyId: Type.Union([Type.String(), Type.Null()], {
              description: 'the API key id; null without auth.mode keys (anonymous)',
            }),
            scopes: Type.Array(Type.String(), {
              description: "the key's scopes; every scope when anonymous",
            }),
          }),
        },
      },
    },
    async (req) => ({
      tenant: req.tenant,
      keyId: req.principal?.keyId ?? null,
      scopes: [...(req.principal?.scopes ?? SCOPES)],
    }),
  );
}
