/** Liveness, readiness and the Prometheus exposition. */
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';

export interface HealthOptions {
  ready: () => boolean;
  metrics: () => Promise<{ contentType: string; body: string }>;
}

export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  app.get(
    '/healthz',
    {
      config: { scope: 'public' },
      schema: {
        summary: 'Liveness',
        tags: ['ops'],
        response: { 200: Type.Object({ status: Type.String() }) },
      },
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      config: { scope: 'public' },
      schema: {
        summary: 'Readiness: 200 once recovery is done, 503 before',
        tags: ['ops'],
        response: {
          200: Type.Object({ status: Type.String() }),
          503: Type.Object({ status: Type.String() }),
        },
      },
    },
    async (_req, reply) =>
      opts.ready() ? { status: 'ready' } : reply.code(503).send({ status: 'recovering' }),
  );
  // Deployment-wide counts and latencies, no point values or tag values: any key with `read` may
  // scrape it (docs/security.md).
  app.get(
    '/metrics',
    { config: { scope: 'read' }, schema: { summary: 'Prometheus metrics', tags: ['ops'] } },
    async (_req, reply) => {
      const m = await opts.metrics();
      return reply.type(m.contentType).send(m.body);
    },
  );
}
