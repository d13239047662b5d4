/** Builds the fastify app from its plugins. No port is opened here: callers `listen` or `inject`. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { RemoteReadCodec } from '../../ports/remote-read.ts';
import { type AlertingAdmin, alertingRoutes } from './alerting-routes.ts';
import { type AuditOptions, auditRoutes, installAudit } from './audit.ts';
import { type AuthOptions, installAuth, SECURITY_SCHEME } from './auth.ts';
import { clientErrorHandler, installErrorHandler } from './errors.ts';
import { feedbackRoutes, type TenantFeedback } from './feedback-routes.ts';
import { type HealthOptions, healthRoutes } from './health-routes.ts';
import { influxCompatRoutes } from './influx-compat-routes.ts';
import { type IngestRoutesOptions, ingestRoutes } from './ingest-routes.ts';
import { type KeyAdmin, keyRoutes } from './key-routes.ts';
import { queryRoutes, type TenantQueries } from './query-routes.ts';
import { remoteReadRoutes } from './remote-read-routes.ts';
import { replayRoutes } from './replay-routes.ts';
import { seriesDeleteRoutes } from './series-delete-routes.ts';
import { installTenantBodyLimit, type TenantLimits } from './tenant-limits.ts';
import { uiRoutes } from './ui-routes.ts';
import { whoamiRoutes } from './whoami-routes.ts';

export interface HttpServerOptions {
  logger: FastifyBaseLogger;
  /** PEM certificate chain and key: the server speaks HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
  bodyLimitBytes: number;
  /** Absent on roles without ingest (processor, detector). */
  ingest?: IngestRoutesOptions;
  /** Absent on roles without the query API (processor, detector). */
  query?: TenantQueries;
  /** Prometheus remote_read's codec: `/api/v1/read` is served beside the query API when given. */
  remoteRead?: RemoteReadCodec;
  /** `http.trustProxy`: proxies whose X-Forwarded-For sets `req.ip`; empty: the TCP peer. */
  trustProxy?: readonly string[];
  /** Per-tenant limits: body size, query cost and time (limits.*, http.queryTimeoutMs). */
  limits: TenantLimits;
  health: HealthOptions;
  /** `auth.mode` and, with keys, the verifier and the failed-auth limit. */
  auth: AuthOptions;
  /** Labels on anomalies; absent on roles without the API (processor, detector, alerter). */
  feedback?: TenantFeedback;
  /** The admin API for keys; absent on roles without the API (processor, detector). */
  keys?: KeyAdmin;
  /** The audit log of changes and its admin route; absent on roles without the API. */
  audit?: AuditOptions;
  /** Alert rules, silences and incidents; absent on roles without them. */
  alerting?: AlertingAdmin;
  retryAfterSeconds: () => number;
  observeRequest: (method: string, route: string, status: number, seconds: number) => void;
}

export async function buildHttpServer(o: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(o.tls !== undefined ? { https: { cert: o.tls.cert, key: o.tls.key } } : {}),
    loggerInstance: o.logger,
    trustProxy: o.trustProxy !== undefined && o.trustProxy.length > 0 ? [...o.trustProxy] : false,
    bodyLimit: o.bodyLimitBytes,
    // Per-request logs would dominate at ingest rates; latency goes to /metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
    keepAliveTimeout: 65_000,
    clientErrorHandler,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true } },
  }) as unknown as FastifyInstance;
  installErrorHandler(app, o.retryAfterSeconds);
  // Before any route is added: its onRoute hook checks every route's scope.
  installAuth(app, o.auth);
  installTenantBodyLimit(app, o.limits);
  if (o.audit !== undefined) installAudit(app, o.audit);
  app.addHook('onResponse', async (req, reply) => {
    o.observeRequest(
      req.method,
      req.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Vigil HTTP API',
        version: '0.1.0',
        description:
          'Ingest, query and configuration API of Vigil. Errors: docs/errors.md. With auth.mode keys, each operation needs an API key with the scope in its x-vigil-scope (docs/security.md).',
      },
      components: {
        securitySchemes: {
          [SECURITY_SCHEME]: {
            type: 'http',
            scheme: 'bearer',
            description:
              'vgl_<id>_<secret> from `vigil keys create` or POST /api/v1/keys; also accepted as Basic (password), Token, and the u/p query parameters of /write',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  if (o.ingest !== undefined) {
    await app.register(ingestRoutes, o.ingest);
    await app.register(influxCompatRoutes);
  }
  if (o.query !== undefined) {
    await app.register(queryRoutes, { backend: o.query, limits: o.limits });
    await app.register(seriesDeleteRoutes, { backend: o.query, limits: o.limits });
    await app.register(replayRoutes, { backend: o.query, limits: o.limits });
    if (o.remoteRead !== undefined) {
      await app.register(remoteReadRoutes, { backend: o.query, limits: o.limits, codec: o.remoteRead });
    }
  }
  if (o.feedback !== undefined) {
    const alerting = o.alerting;
    await app.register(feedbackRoutes, {
      feedback: o.feedback,
      ...(alerting !== undefined
        ? {
            incidentMembers: async (tenant: string, id: string) =>
              (await alerting.getIncident(tenant, id))?.members.map((m) => m.id),
          }
        : {}),
    });
  }
  if (o.keys !== undefined) await app.register(keyRoutes, { keys: o.keys, now: Date.now });
  if (o.audit !== undefined) await app.register(auditRoutes, { log: o.audit.log });
  if (o.alerting !== undefined) await app.register(alertingRoutes, { alerting: o.alerting });
  await app.register(healthRoutes, o.health);
  // The web UI is a client of the query API: served where that API is.
  if (o.query !== undefined) {
    await app.register(whoamiRoutes);
    await app.register(uiRoutes);
  }
  return app;
}
