/**
 * The audit log at the HTTP edge: every successful change through a route of scope `configure`
 * or `admin` (any method but GET and HEAD) is recorded before its answer leaves, with who (the
 * key's id, else `anonymous`), what (method and route, the path parameters and query, the body
 * with secrets redacted) and when. The hook keys on the scope every route must declare (see
 * ./auth.ts), so a change route added later is audited the day it is added. Admins read their
 * own tenant's events at `GET /api/v1/audit`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { type AuditEvent, redacted } from '../../core/audit.ts';
import { VigilError } from '../../core/errors.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import { tenantOf } from './tenant.ts';

export interface AuditOptions {
  log: AuditLog;
  now: () => number;
  /** Called when an event could not be stored; the change itself stands (it is already made). */
  failed: (err: unknown) => void;
}

const AUDITED_SCOPES = new Set(['configure', 'admin']);
const READ_METHODS = new Set(['GET', 'HEAD']);

/** The event a finished request makes, or undefined when it changed nothing auditable. */
export function auditEventOf(req: FastifyRequest, status: number, now: number): AuditEvent | undefined {
  const scope = req.routeOptions.config?.scope;
  if (scope === undefined || !AUDITED_SCOPES.has(scope) || READ_METHODS.has(req.method)) return undefined;
  if (status >= 400 || req.is404) return undefined;
  const target: Record<string, unknown> = {};
  if (req.params !== null && typeof req.params === 'object' && Object.keys(req.params).length > 0)
    target.params = req.params;
  if (req.query !== null && typeof req.query === 'object' && Object.keys(req.query).length > 0)
    target.query = req.query;
  return {
    ts: now,
    tenant: tenantOf(req),
    actor: req.principal !== undefined ? `key:${req.principal.keyId}` : 'anonymous',
    action: `${req.method} ${req.routeOptions.url ?? req.url}`,
    target: redacted(target),
    detail: redacted(req.body),
    status,
    remote: req.ip,
  };
}

export function installAudit(app: FastifyInstance, o: AuditOptions): void {
  app.addHook('onSend', async (req, reply, payload) => {
    const event = auditEventOf(req, reply.statusCode, o.now());
    if (event !== undefined) {
      try {
        await o.log.record(event);
      } catch (err) {
        o.failed(err);
      }
    }
    return payload;
  });
}

const EventOut = Type.Object({
  id: Type.Integer({ description: 'position in the log, ascending' }),
  ts: Type.Number({ description: 'epoch ms of the change' }),
  actor: Type.String({ description: 'key:<id>, anonymous, or cli:<user> for `vigil keys`' }),
  action: Type.String({ description: '<METHOD> <route>, or keys.create / keys.revoke' }),
  target: Type.String({ description: 'path parameters and query, JSON' }),
  detail: Type.String({ description: 'the request body, secrets redacted, JSON (at most 8 KiB)' }),
  status: Type.Integer(),
  remote: Type.String({ description: 'client address' }),
});

function epochMs(v: string | undefined, field: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = /^-?\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) {
    throw new VigilError('VIGIL_ERR_BAD_REQUEST', `${field} must be epoch ms or RFC 3339`, {
      location: { field },
    });
  }
  return n;
}

export async function auditRoutes(app: FastifyInstance, opts: { log: AuditLog }): Promise<void> {
  app.get(
    '/api/v1/audit',
    {
      config: { scope: 'admin' },
      schema: {
        summary: "The audit log of the caller's tenant: key, config and rule changes, newest first",
        tags: ['admin'],
        querystring: Type.Object({
          from: Type.Optional(Type.String({ description: 'epoch ms or RFC 3339, inclusive' })),
          to: Type.Optional(Type.String({ description: 'epoch ms or RFC 3339, exclusive' })),
          actor: Type.Optional(Type.String({ maxLength: 200 })),
          action: Type.Optional(Type.String({ maxLength: 200, description: 'a prefix of the action' })),
          limit: Type.Integer({ minimum: 1, maximum: 10000, default: 100 }),
        }),
        response: { 200: Type.Object({ events: Type.Array(EventOut) }) },
      },
    },
    async (req) => {
      const q = req.query as { from?: string; to?: string; actor?: string; action?: string; limit: number };
      const from = epochMs(q.from, 'from');
      const to = epochMs(q.to, 'to');
      const events = await opts.log.query({
        tenant: tenantOf(req),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        ...(q.actor !== undefined ? { actor: q.actor } : {}),
        ...(q.action !== undefined ? { actionPrefix: q.action } : {}),
        limit: q.limit,
      });
      return { events: events.map(({ tenant: _, ...e }) => e) };
    },
  );
}
