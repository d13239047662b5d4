/**
 * `DELETE /api/v1/series`: deletes series of the request's tenant with everything stored of them
 * (points, scores, anomalies, feedback labels, config, detector state), named by one key (`series`) or a selector
 * (`match`, at most MAX_DELETE series per request). Scope `admin`: a deletion cannot be undone,
 * so it needs more than the `configure` scope that tuning tools hold (docs/security.md).
 */
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { VigilError } from '../../core/errors.ts';
import { matches, parseSelector } from '../../core/selector.ts';
import { QueryBudget } from './query-budget.ts';
import { mustSeries, type QueryRoutesOptions } from './query-routes.ts';
import { tenantOf } from './tenant.ts';

/** Series one request may delete; a selector matching more is refused whole (400). */
export const MAX_DELETE = 10_000;

export async function seriesDeleteRoutes(app: FastifyInstance, opts: QueryRoutesOptions): Promise<void> {
  app.delete(
    '/api/v1/series',
    {
      config: { scope: 'admin' },
      schema: {
        summary: `Delete series of this tenant with their points, scores, anomalies, feedback labels, config and detector state (one key, or a selector matching at most ${MAX_DELETE})`,
        description:
          'Durable when it answers, also across a crash; the same key ingested later is a new series with a fresh detector state. ' +
          'An unknown key is 404; a selector matching nothing deletes nothing (200, zero counts).',
        tags: ['config'],
        querystring: Type.Object({
          series: Type.Optional(Type.String({ description: 'one canonical series key, e.g. cpu{host="a"}' })),
          match: Type.Optional(Type.String({ description: 'a selector, e.g. {host=~"old-.*"}' })),
        }),
        response: {
          200: Type.Object({
            series: Type.Integer({ description: 'series deleted' }),
            points: Type.Integer({ description: 'scored points deleted' }),
            anomalies: Type.Integer({ description: 'anomalies deleted' }),
          }),
        },
      },
    },
    async (req) => {
      const b = opts.backend.forTenant(tenantOf(req));
      const q = req.query as { series?: string; match?: string };
      if ((q.series === undefined) === (q.match === undefined)) {
        throw new VigilError(
          'VIGIL_ERR_BAD_REQUEST',
          'give exactly one of series (a key) and match (a selector)',
          {
            location: { field: q.series === undefined ? 'series' : 'match' },
          },
        );
      }
      let ids: number[];
      if (q.series !== undefined) ids = [(await mustSeries(b, q.series)).id];
      else {
        const sel = parseSelector(q.match!);
        ids = [];
        await new QueryBudget(req, opts.limits.queryOf(tenantOf(req)).timeoutMs).scan(
          await b.series(),
          (s) => {
            if (matches(sel, s.metric, s.tags)) ids.push(s.id);
            return ids.length <= MAX_DELETE;
          },
        );
        if (ids.length > MAX_DELETE) {
          throw new VigilError(
            'VIGIL_ERR_BAD_REQUEST',
            `match selects more than ${MAX_DELETE} series; nothing was deleted: narrow the selector and delete in parts`,
            { location: { field: 'match' } },
          );
        }
      }
      if (ids.length === 0) return { series: 0, points: 0, anomalies: 0 };
      return b.deleteSeries(ids);
    },
  );
}
