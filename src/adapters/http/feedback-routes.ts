/**
 * Feedback API: a person labels an anomaly (`anomaly`, `not_anomaly`, `expected`), lists labels,
 * and removes one (undo). A label changes detection for the anomaly's series (the pipeline's
 * `feedback` stage); see docs/alerting.md, "Feedback". Every route acts on the caller's tenant.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { VigilError } from '../../core/errors.ts';
import { FEEDBACK_LABELS, type FeedbackLabel } from '../../core/feedback/label.ts';
import { tenantOf } from './tenant.ts';

export interface FeedbackRequest {
  label: FeedbackLabel;
  note?: string;
}

export interface FeedbackOut {
  id: string;
  anomaly: string;
  series: string;
  label: FeedbackLabel;
  note: string;
  by: string;
  at: number;
}

/** What the routes need: labels of one tenant (app/feedback-service.ts). */
export interface TenantFeedback {
  /** Labels each anomaly (404 when one is not the tenant's); `actor` is who gave it. */
  label(
    tenant: string,
    anomalyIds: readonly string[],
    r: FeedbackRequest,
    actor: string,
  ): Promise<FeedbackOut[]>;
  list(tenant: string, filter: { series?: string; match?: string; limit: number }): Promise<FeedbackOut[]>;
  /** 404 when there is no such label of the tenant. */
  remove(tenant: string, id: string): Promise<void>;
}

/** Longest note, in characters. */
export const MAX_NOTE_CHARS = 2000;

const Label = Type.Union(
  FEEDBACK_LABELS.map((l) => Type.Literal(l)),
  {
    description:
      'anomaly: confirms it; not_anomaly: a false alarm; expected: real but normal here. The last two stop similar deviations of the series being flagged',
  },
);

const Out = Type.Object({
  id: Type.String({ description: 'the label id (DELETE /api/v1/feedback/{id} undoes it)' }),
  anomaly: Type.String({ description: 'the anomaly id, `<seriesId>-<start>`' }),
  series: Type.String(),
  label: Label,
  note: Type.String(),
  by: Type.String({ description: 'key:<API key id>, or anonymous without auth' }),
  at: Type.Number({ description: 'epoch ms when it was given' }),
});

/** Who acts: the API key's id, else `anonymous`. */
function actorOf(req: FastifyRequest): string {
  return req.principal !== undefined ? `key:${req.principal.keyId}` : 'anonymous';
}

const Body = Type.Object(
  {
    label: Label,
    note: Type.Optional(Type.String({ maxLength: MAX_NOTE_CHARS, description: 'free text' })),
  },
  { additionalProperties: false },
);

export interface FeedbackRoutesOptions {
  feedback: TenantFeedback;
  /** The anomaly ids of a tenant's incident (undefined: no such incident); absent without alerting. */
  incidentMembers?: (tenant: string, incidentId: string) => Promise<string[] | undefined>;
}

export async function feedbackRoutes(app: FastifyInstance, opts: FeedbackRoutesOptions): Promise<void> {
  const f = opts.feedback;
  app.post(
    '/api/v1/anomalies/:id/feedback',
    {
      config: { scope: 'configure' },
      schema: {
        summary:
          'Label an anomaly; the label changes detection for its series (not_anomaly/expected suppress similar deviations). Labelling again replaces the label',
        tags: ['feedback'],
        params: Type.Object({ id: Type.String({ description: 'the anomaly id, `<seriesId>-<start>`' }) }),
        body: Body,
        response: { 201: Out },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const [out] = await f.label(tenantOf(req), [id], req.body as FeedbackRequest, actorOf(req));
      return reply.code(201).send(out);
    },
  );

  app.get(
    '/api/v1/feedback',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Labels given on anomalies, newest first',
        tags: ['feedback'],
        querystring: Type.Object({
          series: Type.Optional(Type.String({ description: 'one series key' })),
          match: Type.Optional(Type.String({ description: 'selector over series' })),
          limit: Type.Integer({ minimum: 1, maximum: 10000, default: 100 }),
        }),
        response: { 200: Type.Object({ feedback: Type.Array(Out) }) },
      },
    },
    async (req) => {
      const q = req.query as { series?: string; match?: string; limit: number };
      return { feedback: await f.list(tenantOf(req), q) };
    },
  );

  app.delete(
    '/api/v1/feedback/:id',
    {
      config: { scope: 'configure' },
      schema: {
        summary: "Remove a label (undo): its series' pipeline forgets it",
        tags: ['feedback'],
        params: Type.Object({ id: Type.String() }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await f.remove(tenantOf(req), (req.params as { id: string }).id);
      return reply.code(204).send();
    },
  );

  const members = opts.incidentMembers;
  if (members === undefined) return;
  app.post(
    '/api/v1/incidents/:id/feedback',
    {
      config: { scope: 'configure' },
      schema: {
        summary:
          "Label every member anomaly of an incident at once (one outage, one answer); each member's series learns it as from POST /api/v1/anomalies/{id}/feedback",
        tags: ['feedback'],
        params: Type.Object({ id: Type.String({ description: 'the incident id' }) }),
        body: Body,
        response: { 201: Type.Object({ feedback: Type.Array(Out) }) },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const tenant = tenantOf(req);
      const ids = await members(tenant, id);
      if (ids === undefined) {
        throw new VigilError('VIGIL_ERR_NOT_FOUND', `no incident ${id}`, { location: { field: 'id' } });
      }
      const feedback = await f.label(tenant, ids, req.body as FeedbackRequest, actorOf(req));
      return reply.code(201).send({ feedback });
    },
  );
}
