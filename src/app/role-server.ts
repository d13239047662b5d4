/**
 * What every scaled-out role shares: a logger, the HTTP server (health, metrics, and for `vigil api`
 * the ingest and query routes), listening, and a graceful shutdown on SIGTERM/SIGINT.
 */
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import type { AlertingAdmin } from '../adapters/http/alerting-routes.ts';
import type { AuditOptions } from '../adapters/http/audit.ts';
import type { AuthOptions } from '../adapters/http/auth.ts';
import type { TenantFeedback } from '../adapters/http/feedback-routes.ts';
import type { IngestRoutesOptions } from '../adapters/http/ingest-routes.ts';
import type { KeyAdmin } from '../adapters/http/key-routes.ts';
import type { TenantQueries } from '../adapters/http/query-routes.ts';
import { buildHttpServer } from '../adapters/http/server.ts';
import { REMOTE_READ_MAX_BYTES, remoteReadCodec } from '../adapters/ingest/remote-read.ts';
import type { Config } from '../config/schema.ts';
import { VigilError } from '../core/errors.ts';
import type { Metrics } from './metrics.ts';
import { httpLimitsOf } from './tenant-limits.ts';
import { tlsFiles } from './tls.ts';

export type Role = 'api' | 'processor' | 'detector' | 'alerter';

export function roleLogger(config: Readonly<Config>, role: Role): Logger {
  return pino({ level: config.logLevel, base: { service: 'vigil', role, pid: process.pid } });
}

export async function roleHttp(
  config: Readonly<Config>,
  logger: Logger,
  metrics: Metrics,
  ready: () => boolean,
  auth: AuthOptions,
  routes: {
    ingest?: IngestRoutesOptions;
    query?: TenantQueries;
    keys?: KeyAdmin;
    audit?: AuditOptions;
    alerting?: AlertingAdmin;
    feedback?: TenantFeedback;
    retryAfterSeconds?: () => number;
    /** Counts a per-tenant limit's refusal (the API's IngestService); absent: not counted. */
    refused?: (tenant: string, limit: string) => void;
  } = {},
): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildHttpServer({
    logger,
    ...tlsFiles(config),
    bodyLimitBytes: config.http.bodyLimitBytes,
    limits: httpLimitsOf(config, routes.refused ?? (() => {})),
    trustProxy: config.http.trustProxy,
    ...(routes.ingest !== undefined ? { ingest: routes.ingest } : {}),
    ...(routes.query !== undefined
      ? { query: routes.query, remoteRead: remoteReadCodec(REMOTE_READ_MAX_BYTES) }
      : {}),
    ...(routes.keys !== undefined ? { keys: routes.keys } : {}),
    ...(routes.audit !== undefined ? { audit: routes.audit } : {}),
    ...(routes.alerting !== undefined ? { alerting: routes.alerting } : {}),
    ...(routes.feedback !== undefined ? { feedback: routes.feedback } : {}),
    auth,
    health: {
      ready,
      metrics: async () => ({
        contentType: metrics.registry.contentType,
        body: await metrics.registry.metrics(),
      }),
    },
    retryAfterSeconds: routes.retryAfterSeconds ?? (() => 1),
    observeRequest: (method, route, status, seconds) =>
      metrics.httpDuration.observe({ method, route, status: String(status) }, seconds),
  });
  try {
    const url = await app.listen({ host: config.http.host, port: config.http.port });
    return { app, url };
  } catch (err) {
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      `cannot listen on ${config.http.host}:${config.http.port}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
