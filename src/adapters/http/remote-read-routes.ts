/**
 * `POST /api/v1/read`: Prometheus remote_read over Vigil's scored series, so a Prometheus with
 * `remote_read` (and Grafana on that Prometheus) queries values, anomaly scores, expected values,
 * bands and verdicts with PromQL. Series and names: core/prometheus-families.ts. Each query is
 * bounded like `GET /api/v1/points`: its range by limits.queryMaxRangeMs, the samples of the whole
 * request by limits.queryMaxPoints, the walk over the catalog by http.queryTimeoutMs; and at most
 * MAX_READ_SERIES series per query. Over a limit: 422 VIGIL_ERR_QUERY_LIMIT, never a partial answer.
 */
import type { FastifyInstance } from 'fastify';
import { VigilError } from '../../core/errors.ts';
import { familyLabels, familySamples, selectedFamilies } from '../../core/prometheus-families.ts';
import { compileMatcher, type Selector } from '../../core/selector.ts';
import type { RemoteReadCodec, RemoteReadQuery, RemoteReadSeries } from '../../ports/remote-read.ts';
import type { SeriesInfo } from '../../ports/series-catalog.ts';
import { QueryBudget } from './query-budget.ts';
import type { TenantQueries } from './query-routes.ts';
import { tenantOf } from './tenant.ts';
import type { TenantLimits } from './tenant-limits.ts';

/** The most Prometheus series (families of Vigil series) one query of a read request may return. */
export const MAX_READ_SERIES = 10_000;

export interface RemoteReadRoutesOptions {
  backend: TenantQueries;
  limits: Pick<TenantLimits, 'queryOf' | 'refused'>;
  codec: RemoteReadCodec;
}

export async function remoteReadRoutes(app: FastifyInstance, opts: RemoteReadRoutesOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post(
    '/api/v1/read',
    {
      config: { scope: 'read' },
      schema: {
        summary:
          'Prometheus remote_read (sampled): values as <metric>, and anomaly_score, yhat, yhat_lower, yhat_upper, anomalous with label for="<metric>"',
        tags: ['query'],
        consumes: ['application/x-protobuf'],
      },
    },
    async (req, reply) => {
      const queries = opts.codec.decode(req.body instanceof Buffer ? req.body : undefined);
      const tenant = tenantOf(req);
      const limits = opts.limits.queryOf(tenant);
      const b = opts.backend.forTenant(tenant);
      const budget = new QueryBudget(req, limits.timeoutMs);
      const catalog = [...(await b.series())];
      let samples = 0;
      const results: RemoteReadSeries[][] = [];
      for (const [i, q] of queries.entries()) {
        if (limits.maxRangeMs > 0 && q.endMs - q.startMs > limits.maxRangeMs) {
          throw refuse(
            opts,
            tenant,
            'queryMaxRangeMs',
            `query ${i} spans ${q.endMs - q.startMs} ms, more than limits.queryMaxRangeMs (${limits.maxRangeMs} ms) for tenant ${tenant}`,
          );
        }
        const picked = await pick(q, i, catalog, budget);
        const out: RemoteReadSeries[] = [];
        for (const { series, families } of picked) {
          // Prometheus' end is inclusive, the store's `to` exclusive.
          const points = await b.points(series.id, q.startMs, q.endMs + 1);
          samples += points.length * families.length;
          if (samples > limits.maxPoints) {
            throw refuse(
              opts,
              tenant,
              'queryMaxPoints',
              `the request selects more than limits.queryMaxPoints (${limits.maxPoints}) samples for tenant ${tenant}; narrow the range or the matchers`,
            );
          }
          for (const f of families) {
            const s = familySamples(f, points);
            if (s.length > 0) out.push({ labels: familyLabels(f, series.metric, series.tags), samples: s });
          }
          budget.check();
        }
        results.push(out);
      }
      for (const [name, value] of Object.entries(opts.codec.headers)) reply.header(name, value);
      return reply.code(200).send(Buffer.from(opts.codec.encode(results)));
    },
  );
}

/** The series of the catalog query `q` selects, each with the families it selects. */
async function pick(q: RemoteReadQuery, i: number, catalog: readonly SeriesInfo[], budget: QueryBudget) {
  const sel: Selector = {
    matchers: q.matchers.map((m, j) => {
      try {
        return compileMatcher(m.name, m.op, m.value);
      } catch (err) {
        throw new VigilError(
          'VIGIL_ERR_BAD_REMOTE_READ',
          `queries[${i}].matchers[${j}]: ${(err as Error).message}`,
          {
            location: { field: 'body' },
          },
        );
      }
    }),
  };
  const picked: { series: SeriesInfo; families: ReturnType<typeof selectedFamilies> }[] = [];
  let count = 0;
  await budget.scan(catalog, (series) => {
    const families = selectedFamilies(sel, series.metric, series.tags);
    if (families.length === 0) return true;
    count += families.length;
    if (count > MAX_READ_SERIES) {
      throw new VigilError(
        'VIGIL_ERR_QUERY_LIMIT',
        `query ${i} selects more than ${MAX_READ_SERIES} series; add matchers`,
        { location: { field: 'body' } },
      );
    }
    picked.push({ series, families });
    return true;
  });
  return picked;
}

function refuse(opts: RemoteReadRoutesOptions, tenant: string, limit: string, message: string): VigilError {
  opts.limits.refused(tenant, limit);
  return new VigilError('VIGIL_ERR_QUERY_LIMIT', message, { location: { field: 'body' } });
}
