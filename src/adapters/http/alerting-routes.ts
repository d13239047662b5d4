/**
 * The alerting API: alert rules (`/api/v1/alert-rules`), silences and maintenance windows
 * (`/api/v1/silences`) and incidents (`/api/v1/incidents`), each within the caller's tenant.
 * Reads need scope `read`, changes `configure`. Bodies are checked by the core parsers, so a bad
 * field is a 400 naming it (the schemas here document the API; their validation result is
 * attached, not answered, so that the message comes from one place).
 */
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Incident } from '../../core/alerting/incident.ts';
import { type AlertRule, AlertRuleSchema, badField, parseAlertRule } from '../../core/alerting/rule.ts';
import { type Silence, SilenceInputSchema } from '../../core/alerting/silences.ts';
import { VigilError } from '../../core/errors.ts';
import { tenantOf } from './tenant.ts';

export type RuleSource = 'api' | 'config';

/** What the routes need of the alerting service (app/alerting-service.ts). */
export interface AlertingAdmin {
  listRules(tenant: string): Promise<{ rule: AlertRule; source: RuleSource }[]>;
  getRule(tenant: string, name: string): Promise<{ rule: AlertRule; source: RuleSource } | undefined>;
  /** `create`: a 409 when the name exists; a config rule is a 409 either way. */
  putRule(tenant: string, rule: AlertRule, mode: 'create' | 'replace'): Promise<'created' | 'replaced'>;
  /** False when unknown; a 409 for a config rule. */
  deleteRule(tenant: string, name: string): Promise<boolean>;
  listSilences(tenant: string): Promise<Silence[]>;
  /** Checks `input` (400 naming the field) and stores it. */
  createSilence(tenant: string, input: unknown, createdBy: string): Promise<Silence>;
  deleteSilence(tenant: string, id: string): Promise<boolean>;
  listIncidents(tenant: string, q: { status?: 'open' | 'resolved'; limit: number }): Promise<Incident[]>;
  getIncident(tenant: string, id: string): Promise<Incident | undefined>;
}

/** Most incidents one list returns. */
export const MAX_INCIDENT_LIMIT = 1000;

const RuleOut = Type.Object({
  ...AlertRuleSchema.properties,
  source: Type.Union([Type.Literal('api'), Type.Literal('config')]),
});
const SilenceOut = Type.Object({
  ...SilenceInputSchema.properties,
  id: Type.String(),
  tenant: Type.String(),
  createdBy: Type.String(),
  createdMs: Type.Number(),
});
const Doc = Type.Object({}, { additionalProperties: true });
const IncidentOut = Type.Object(
  {
    id: Type.String(),
    tenant: Type.String(),
    rule: Type.String(),
    group: Type.Record(Type.String(), Type.String()),
    status: Type.Union([Type.Literal('open'), Type.Literal('resolved')]),
    severity: Type.String(),
    startsAt: Type.Number(),
    lastActivityAt: Type.Number(),
    openedMs: Type.Number(),
    updatedMs: Type.Number(),
    resolvedMs: Type.Optional(Type.Number()),
    members: Type.Array(Doc, {
      description: 'the anomalies (id `<seriesId>-<start>`, series, peak, severity)',
    }),
    droppedMembers: Type.Number(),
    timeline: Type.Array(Doc, {
      description: 'opened, member_added, severity_changed, root_cause_changed, resolved',
    }),
    rootCauses: Type.Array(
      Type.Object({
        seriesKey: Type.String(),
        rank: Type.Number(),
        score: Type.Number(),
        reasons: Type.Array(Type.String()),
      }),
      { description: 'ranked candidates, best first, each with the reasons for its rank' },
    ),
  },
  { additionalProperties: true },
);
const NameParam = Type.Object({ name: Type.String() });
const IdParam = Type.Object({ id: Type.String() });

const ruleOut = (r: { rule: AlertRule; source: RuleSource }) => ({ ...r.rule, source: r.source });

export async function alertingRoutes(app: FastifyInstance, opts: { alerting: AlertingAdmin }): Promise<void> {
  const a = opts.alerting;
  const tags = ['alerting'];

  app.get(
    '/api/v1/alert-rules',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List alert rules (from the API and, read-only, from the config file)',
        tags,
        response: { 200: Type.Object({ rules: Type.Array(RuleOut) }) },
      },
    },
    async (req) => ({ rules: (await a.listRules(tenantOf(req))).map(ruleOut) }),
  );

  app.post(
    '/api/v1/alert-rules',
    {
      config: { scope: 'configure' },
      attachValidation: true,
      schema: {
        summary: 'Create an alert rule (409 if the name exists)',
        tags,
        body: AlertRuleSchema,
        response: { 201: RuleOut },
      },
    },
    async (req, reply) => {
      const rule = parseAlertRule(req.body);
      await a.putRule(tenantOf(req), rule, 'create');
      return reply.code(201).send({ ...rule, source: 'api' });
    },
  );

  app.get(
    '/api/v1/alert-rules/:name',
    {
      config: { scope: 'read' },
      schema: { summary: 'One alert rule', tags, params: NameParam, response: { 200: RuleOut } },
    },
    async (req) => {
      const { name } = req.params as { name: string };
      const found = await a.getRule(tenantOf(req), name);
      if (found === undefined) throw notFound('alert rule', name);
      return ruleOut(found);
    },
  );

  app.put(
    '/api/v1/alert-rules/:name',
    {
      config: { scope: 'configure' },
      attachValidation: true,
      schema: {
        summary: 'Create or replace an alert rule (409 for a rule from the config file)',
        tags,
        params: NameParam,
        body: Type.Object(
          { ...AlertRuleSchema.properties, name: Type.Optional(AlertRuleSchema.properties.name) },
          { additionalProperties: false },
        ),
        response: { 200: RuleOut, 201: RuleOut },
      },
    },
    async (req, reply) => {
      const { name } = req.params as { name: string };
      const body = req.body as Record<string, unknown> | null;
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
        if (body.name !== undefined && body.name !== name)
          throw badField('name', `name: ${JSON.stringify(body.name)} is not the name in the path (${name})`);
      }
      const rule = parseAlertRule(
        typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body, name } : body,
      );
      const done = await a.putRule(tenantOf(req), rule, 'replace');
      return reply.code(done === 'created' ? 201 : 200).send({ ...rule, source: 'api' });
    },
  );

  app.delete(
    '/api/v1/alert-rules/:name',
    {
      config: { scope: 'configure' },
      schema: { summary: 'Delete an alert rule (its open incidents resolve)', tags, params: NameParam },
    },
    async (req, reply) => {
      const { name } = req.params as { name: string };
      if (!(await a.deleteRule(tenantOf(req), name))) throw notFound('alert rule', name);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/silences',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List silences and maintenance windows that have not ended',
        tags,
        response: { 200: Type.Object({ silences: Type.Array(SilenceOut) }) },
      },
    },
    async (req) => ({ silences: await a.listSilences(tenantOf(req)) }),
  );

  app.post(
    '/api/v1/silences',
    {
      config: { scope: 'configure' },
      attachValidation: true,
      schema: {
        summary: 'Create a silence or maintenance window (optionally weekly recurring, UTC)',
        tags,
        body: SilenceInputSchema,
        response: { 201: SilenceOut },
      },
    },
    async (req, reply) => {
      const by = req.principal?.keyId ?? 'anonymous';
      return reply.code(201).send(await a.createSilence(tenantOf(req), req.body, by));
    },
  );

  app.delete(
    '/api/v1/silences/:id',
    {
      config: { scope: 'configure' },
      schema: { summary: 'Delete a silence', tags, params: IdParam },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      if (!(await a.deleteSilence(tenantOf(req), id))) throw notFound('silence', id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/incidents',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List incidents, newest first',
        tags,
        querystring: Type.Object({
          status: Type.Optional(Type.String({ description: 'open or resolved' })),
          limit: Type.Optional(Type.String({ description: `1..${MAX_INCIDENT_LIMIT}, default 100` })),
        }),
        response: { 200: Type.Object({ incidents: Type.Array(IncidentOut) }) },
      },
    },
    async (req) => {
      const q = req.query as { status?: string; limit?: string };
      if (q.status !== undefined && q.status !== 'open' && q.status !== 'resolved')
        throw badField('status', 'status: must be open or resolved');
      const limit = q.limit === undefined ? 100 : Number(q.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_INCIDENT_LIMIT)
        throw badField('limit', `limit: must be an integer in 1..${MAX_INCIDENT_LIMIT}`);
      const status = q.status as 'open' | 'resolved' | undefined;
      return {
        incidents: await a.listIncidents(tenantOf(req), {
          limit,
          ...(status !== undefined ? { status } : {}),
        }),
      };
    },
  );

  app.get(
    '/api/v1/incidents/:id',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'One incident: members, timeline, ranked root-cause candidates',
        tags,
        params: IdParam,
        response: { 200: IncidentOut },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const found = await a.getIncident(tenantOf(req), id);
      if (found === undefined) throw notFound('incident', id);
      return found;
    },
  );
}

function notFound(what: string, name: string): VigilError {
  return new VigilError('VIGIL_ERR_NOT_FOUND', `no ${what} ${JSON.stringify(name)}`);
}
